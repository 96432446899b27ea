"""The SRResNet / SRGAN generator of Ledig et al. (CVPR 2017), parameterised by scale and size.

Layout, with the paper's names:  head (9×9 conv + PReLU) → B residual blocks → body conv (+BN)
with a skip from the head → log2(scale) sub-pixel blocks (conv, pixel shuffle ×2, PReLU; one ×3
block for scale 3) → tail (9×9 conv to RGB).

`norm="batch"` is the paper's generator; `norm="none"` drops batch norm as EDSR / MSRResNet do,
which trains faster for PSNR and avoids BN artefacts. Tensor contract: input N×3×h×w float in
[0, 1]; output N×3×(h·s)×(w·s) float, nominally [0, 1] but not clamped (clamping is the caller's).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Literal

import torch
from torch import nn

from upscaler.engine.archs.hyperparameters import resolve_config
from upscaler.engine.config import SUPPORTED_SCALES

Norm = Literal["batch", "none"]


@dataclass(frozen=True)
class SRResNetConfig:
    """Hyper-parameters; names follow the paper (B residual blocks, 64 feature maps, 9×9 ends)."""

    scale: int = 4
    n_blocks: int = 16
    n_channels: int = 64
    norm: Norm = "batch"
    large_kernel: int = 9
    small_kernel: int = 3

    def __post_init__(self) -> None:
        if self.scale not in SUPPORTED_SCALES:
            raise ValueError(f"scale must be one of {SUPPORTED_SCALES}, got {self.scale}")
        if self.norm not in ("batch", "none"):
            raise ValueError(f"norm must be 'batch' or 'none', got {self.norm!r}")
        if self.n_blocks < 1 or self.n_channels < 1:
            raise ValueError("n_blocks and n_channels must be positive")

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> SRResNetConfig:
        fields = cls.__dataclass_fields__
        unknown = set(data) - set(fields)
        if unknown:
            raise ValueError(f"unknown SRResNet hyper-parameters: {sorted(unknown)}")
        return cls(**data)

    @property
    def upsample_factors(self) -> tuple[int, ...]:
        """One ×3 stage for scale 3, otherwise log2(scale) ×2 stages."""
        if self.scale == 3:
            return (3,)
        return (2,) * int(math.log2(self.scale))

    @property
    def receptive_radius(self) -> int:
        """How many input pixels away an output pixel can see (ceil, in LR pixels).

        head k//2, then two k//2 per residual block and one for the body conv, all at LR; each
        sub-pixel conv adds k//2 at its own resolution, the tail k//2 at HR (hence the divisions).
        SRResNet-16 x4: 4 + 32 + 1 + (1 + 1/2) + 4/4 = 39.5 → 40.
        """
        big, small = self.large_kernel // 2, self.small_kernel // 2
        radius = float(big + 2 * small * self.n_blocks + small)
        resolution = 1
        for factor in self.upsample_factors:
            radius += small / resolution
            resolution *= factor
        radius += big / resolution
        return math.ceil(radius)


def _norm(kind: Norm, channels: int) -> nn.Module:
    return nn.BatchNorm2d(channels) if kind == "batch" else nn.Identity()


class ResidualBlock(nn.Module):
    """conv-BN-PReLU-conv-BN with an identity skip (BN becomes Identity when norm='none')."""

    def __init__(self, channels: int, kernel: int, norm: Norm) -> None:
        super().__init__()
        pad = kernel // 2
        self.conv1 = nn.Conv2d(channels, channels, kernel, padding=pad)
        self.bn1 = _norm(norm, channels)
        self.act = nn.PReLU(channels)
        self.conv2 = nn.Conv2d(channels, channels, kernel, padding=pad)
        self.bn2 = _norm(norm, channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.bn2(self.conv2(self.act(self.bn1(self.conv1(x)))))


class SubPixelBlock(nn.Module):
    """Sub-pixel convolution (Shi et al. 2016): conv to r²·C channels, pixel shuffle, PReLU."""

    def __init__(self, channels: int, kernel: int, factor: int) -> None:
        super().__init__()
        self.factor = factor
        self.conv = nn.Conv2d(channels, channels * factor * factor, kernel, padding=kernel // 2)
        self.shuffle = nn.PixelShuffle(factor)
        self.act = nn.PReLU(channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.shuffle(self.conv(x)))

    @torch.no_grad()
    def init_icnr(self, *, identity: bool = False) -> None:
        """ICNR init (Aitken et al. 2017): every sub-pixel starts equal, so no checkerboard.

        With identity=True the block starts as nearest-neighbour upsampling of its input (centre
        tap 1, PReLU slope 1); that is how a new stage is appended when growing x2 → x4 → x8
        without disturbing what the earlier stages learned.
        """
        out_ch, in_ch, k, _ = self.conv.weight.shape
        r2 = self.factor * self.factor
        if identity:
            base = torch.zeros(in_ch, in_ch, k, k)
            base[torch.arange(in_ch), torch.arange(in_ch), k // 2, k // 2] = 1.0
            self.act.weight.fill_(1.0)
        else:
            base = torch.empty(in_ch, in_ch, k, k)
            nn.init.kaiming_normal_(base)
        # PixelShuffle reads output channel c·r² + i as sub-pixel i of channel c.
        self.conv.weight.copy_(base.repeat_interleave(r2, dim=0)[:out_ch])
        self.conv.bias.zero_()


class SRResNet(nn.Module):
    """SRResNet generator (also the SRGAN generator: same network, different training)."""

    def __init__(self, config: SRResNetConfig | None = None, **kwargs) -> None:
        super().__init__()
        self.config = config = resolve_config(SRResNetConfig, config, kwargs)
        c, big, small = config.n_channels, config.large_kernel, config.small_kernel
        self.head = nn.Sequential(nn.Conv2d(3, c, big, padding=big // 2), nn.PReLU(c))
        self.body = nn.Sequential(*[ResidualBlock(c, small, config.norm) for _ in range(config.n_blocks)])
        self.body_conv = nn.Conv2d(c, c, small, padding=small // 2)
        self.body_norm = _norm(config.norm, c)
        self.upsample = nn.Sequential(*[SubPixelBlock(c, small, f) for f in config.upsample_factors])
        self.tail = nn.Conv2d(c, 3, big, padding=big // 2)
        self.reset_parameters()

    @property
    def scale(self) -> int:
        return self.config.scale

    @torch.no_grad()
    def reset_parameters(self) -> None:
        for module in self.modules():
            if isinstance(module, nn.Conv2d):
                nn.init.kaiming_normal_(module.weight, a=0.25)
                nn.init.zeros_(module.bias)
        if self.config.norm == "none":
            # Without BN, small residual branches keep the deep stack near identity at the start
            # (the MSRResNet / EDSR recipe); otherwise activations grow with depth.
            for block in self.body:
                block.conv1.weight.mul_(0.1)
                block.conv2.weight.mul_(0.1)
        for stage in self.upsample:
            stage.init_icnr()
        nn.init.normal_(self.tail.weight, std=1e-3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        features = self.head(x)
        features = features + self.body_norm(self.body_conv(self.body(features)))
        return self.tail(self.upsample(features))


@torch.no_grad()
def grow_scale(model: SRResNet, new_scale: int) -> SRResNet:
    """A model for `new_scale` (2 → 4 → 8) initialised from `model` by appending ×2 stages.

    Everything trained is copied; the new stages start as nearest-neighbour upsampling of the
    features, so the grown model begins close to "old model, then enlarge" (progressive resizing).
    """
    old = model.config
    if new_scale <= old.scale or new_scale % old.scale or old.scale == 3:
        raise ValueError(f"cannot grow a x{old.scale} model to x{new_scale}")
    grown = SRResNet(SRResNetConfig(**{**old.to_dict(), "scale": new_scale}))
    missing, unexpected = grown.load_state_dict(model.state_dict(), strict=False)
    if unexpected or any(not key.startswith("upsample.") for key in missing):
        raise RuntimeError(f"grow_scale mismatch: missing={missing} unexpected={unexpected}")
    for stage in grown.upsample[len(model.upsample):]:
        stage.init_icnr(identity=True)
    return grown
