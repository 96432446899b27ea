"""SPAN: the Swift Parameter-free Attention Network (Wan et al., CVPRW 2024, NTIRE 2024 ESR winner).

Everything runs at LR resolution and the only upsampling is one sub-pixel stage at the end, so a
body of the same width costs ~2.4× less per output pixel than SRResNet's two ×2 stages and 9×9
tail at HR (x4, 48 channels: 966k MACs per LR pixel for SRResNet-8, 402k for SPAN-6, as
`upscaler.engine.bench.conv_flops_per_input_pixel` counts them).

- Each 3×3 conv is SPAN's *Conv3XC*, a re-parameterisable branch set: 1×1 expand → 3×3 → 1×1
  squeeze, plus a 1×1 skip. During training the branches are multiplied into one 3×3 kernel at
  every forward pass (one convolution's cost, the richer branches' optimisation); `fuse()` freezes
  that kernel into a plain `nn.Conv2d` for inference, which is what we ship.
- A block is three such convs with SiLU between, gated by SPAN's parameter-free attention
  `(h + x) · (σ(h) − ½)`: the block's own output says where to pass detail, with no weights of its own.
- Head features, the first block's and the last block's are concatenated and mixed by a 1×1 conv;
  the tail is one 3×3 conv to 3·s² channels and a pixel shuffle, added to the nearest-neighbour
  enlarged input (the anchor of ABPN / ECBSR: the network learns only the residual).

Tensor contract as SRResNet's: N×3×h×w float in [0, 1] → N×3×(h·s)×(w·s), not clamped.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from torch import nn

from upscaler.engine.archs.hyperparameters import resolve_config
from upscaler.engine.config import SUPPORTED_SCALES


@dataclass(frozen=True)
class SPANConfig:
    scale: int = 4
    n_blocks: int = 6
    n_channels: int = 48
    #: Width multiple of the Conv3XC hidden branch during training (folded away at inference).
    expansion: int = 2
    attention: bool = True

    def __post_init__(self) -> None:
        if self.scale not in SUPPORTED_SCALES:
            raise ValueError(f"scale must be one of {SUPPORTED_SCALES}, got {self.scale}")
        if self.n_blocks < 1 or self.n_channels < 1 or self.expansion < 1:
            raise ValueError("n_blocks, n_channels and expansion must be positive")

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> SPANConfig:
        unknown = set(data) - set(cls.__dataclass_fields__)
        if unknown:
            raise ValueError(f"unknown SPAN hyper-parameters: {sorted(unknown)}")
        return cls(**data)

    @property
    def receptive_radius(self) -> int:
        """LR pixels each output pixel depends on, on each side: one per 3×3 conv (head, three per
        block, tail; the mix is 1×1 and the anchor is the pixel itself)."""
        return 1 + 3 * self.n_blocks + 1


class Conv3XC(nn.Module):
    """A 3×3 convolution trained through 1×1 → 3×3 → 1×1 and 1×1-skip branches, merged per call."""

    def __init__(self, in_channels: int, out_channels: int, expansion: int) -> None:
        super().__init__()
        hidden = in_channels * expansion
        # The expand branch has no bias: a bias before a zero-padded 3×3 conv would not merge
        # exactly at the image border.
        self.expand = nn.Parameter(torch.empty(hidden, in_channels))
        self.conv = nn.Conv2d(hidden, hidden, 3)
        self.squeeze = nn.Conv2d(hidden, out_channels, 1)
        self.skip = nn.Conv2d(in_channels, out_channels, 1)
        nn.init.kaiming_uniform_(self.expand, a=5**0.5)

    def merged(self) -> tuple[torch.Tensor, torch.Tensor]:
        """The one 3×3 kernel and bias equal to the branches (exact, up to float rounding)."""
        squeeze = self.squeeze.weight[:, :, 0, 0]
        weight = torch.einsum("oa,abhw,bi->oihw", squeeze, self.conv.weight, self.expand)
        weight = weight + F.pad(self.skip.weight, (1, 1, 1, 1))
        bias = squeeze @ self.conv.bias + self.squeeze.bias + self.skip.bias
        return weight, bias

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        weight, bias = self.merged()
        return F.conv2d(x, weight, bias, padding=1)

    @torch.no_grad()
    def fused(self) -> nn.Conv2d:
        weight, bias = self.merged()
        conv = nn.Conv2d(weight.shape[1], weight.shape[0], 3, padding=1)
        conv.weight.copy_(weight)
        conv.bias.copy_(bias)
        return conv


class SPAB(nn.Module):
    """Swift parameter-free attention block: three convs, SiLU, and the σ(h) − ½ gate."""

    def __init__(self, channels: int, expansion: int, attention: bool) -> None:
        super().__init__()
        self.conv1 = Conv3XC(channels, channels, expansion)
        self.conv2 = Conv3XC(channels, channels, expansion)
        self.conv3 = Conv3XC(channels, channels, expansion)
        self.act = nn.SiLU()
        self.attention = attention

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.conv3(self.act(self.conv2(self.act(self.conv1(x)))))
        if self.attention:
            return (h + x) * (torch.sigmoid(h) - 0.5)
        return h + x


class SPAN(nn.Module):
    """Trains with Conv3XC branches; `fuse()` (or `SPAN(config, fused=True)`) is the served form."""

    def __init__(self, config: SPANConfig | None = None, *, fused: bool = False, **kwargs) -> None:
        super().__init__()
        self.config = config = resolve_config(SPANConfig, config, kwargs)
        c, e, s = config.n_channels, config.expansion, config.scale
        self.head = Conv3XC(3, c, e)
        self.body = nn.ModuleList(SPAB(c, e, config.attention) for _ in range(config.n_blocks))
        self.mix = nn.Conv2d(3 * c, c, 1)
        self.tail = nn.Conv2d(c, 3 * s * s, 3, padding=1)
        self.shuffle = nn.PixelShuffle(s)
        with torch.no_grad():
            # Start near the anchor (nearest-neighbour enlargement) so early steps refine it.
            self.tail.weight.mul_(0.1)
            self.tail.bias.zero_()
        if fused:
            self.fuse()

    @property
    def scale(self) -> int:
        return self.config.scale

    @property
    def is_fused(self) -> bool:
        return isinstance(self.head, nn.Conv2d)

    @torch.no_grad()
    def fuse(self) -> SPAN:
        """Replace every Conv3XC by its merged plain conv (in place; same outputs)."""
        if self.is_fused:
            return self
        self.head = self.head.fused()
        for block in self.body:
            for name in ("conv1", "conv2", "conv3"):
                setattr(block, name, getattr(block, name).fused())
        return self

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        features = self.head(x)
        h = first = self.body[0](features)
        for block in self.body[1:]:
            h = block(h)
        mixed = self.mix(torch.cat([features, first, h], dim=1))
        s = self.config.scale
        anchor = x.repeat_interleave(s * s, dim=1)  # channel c·s² + i is sub-pixel i of colour c
        return self.shuffle(self.tail(mixed) + anchor)


@torch.no_grad()
def rescale_span(model: SPAN, new_scale: int) -> SPAN:
    """A SPAN for `new_scale` that keeps everything `model` learned at LR resolution (head, body,
    mix) and starts its one scale-specific part, the sub-pixel tail, fresh: near the
    nearest-neighbour anchor, so fine-tuning begins from "these features, enlarged"."""
    if model.is_fused:
        raise ValueError("rescale the training form, not a fused SPAN")
    rescaled = SPAN(SPANConfig(**{**model.config.to_dict(), "scale": new_scale}))
    kept = {k: v for k, v in model.state_dict().items() if not k.startswith("tail.")}
    missing, unexpected = rescaled.load_state_dict(kept, strict=False)
    if unexpected or any(not key.startswith("tail.") for key in missing):
        raise RuntimeError(f"rescale_span mismatch: missing={missing} unexpected={unexpected}")
    return rescaled
