"""Inference-time rewrites of a trained network that keep its function: BN folding, layout.

Measured on the 2-core AVX2 CPU when the engine was tuned: channels_last is the big win (2.4×),
folding batch norm into the preceding convolution adds a little and saves a pass over memory.
torch.compile is not used: ~25 s of compile per process for no gain here.
"""

from __future__ import annotations

import copy
import ctypes
import logging
import sys

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.fusion import fuse_conv_bn_eval

from upscaler.engine.archs.span import SPAN
from upscaler.engine.archs.srresnet import SRResNet

logger = logging.getLogger(__name__)

# glibc mallopt parameters (malloc.h).
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
#: Tensors below this come from the heap and are reused; above it glibc would mmap a fresh,
#: page-faulting block on every call (an x4 tile's 2×/4× feature maps are 100-460 MiB).
_MMAP_THRESHOLD = 1 << 30
_allocator_tuned = False


@torch.no_grad()
def fold_batch_norm(model: SRResNet) -> SRResNet:
    """A copy of `model` with every BatchNorm folded into its conv (BN replaced by Identity)."""
    model = copy.deepcopy(model).eval()
    if model.config.norm != "batch":
        return model
    for block in model.body:
        block.conv1, block.bn1 = fuse_conv_bn_eval(block.conv1, block.bn1), nn.Identity()
        block.conv2, block.bn2 = fuse_conv_bn_eval(block.conv2, block.bn2), nn.Identity()
    model.body_conv, model.body_norm = fuse_conv_bn_eval(model.body_conv, model.body_norm), nn.Identity()
    return model


#: Rows per chunk of the in-place PReLU: its temporary (~11 MiB for a 256-px x4 tile) stays
#: in the L3 cache instead of doubling the largest tensor of the network.
PRELU_CHUNK_ROWS = 16


def prelu_(x: torch.Tensor, weight: torch.Tensor, rows: int = PRELU_CHUNK_ROWS) -> torch.Tensor:
    """PReLU in place, a band of rows at a time (torch has no in-place per-channel PReLU)."""
    for top in range(0, x.shape[-2], rows):
        band = x[..., top : top + rows, :]
        band.copy_(F.prelu(band, weight))
    return x


@torch.no_grad()
def subpixel_tail_conv(tail: nn.Conv2d, factor: int) -> tuple[nn.Conv2d, int]:
    """The HR conv `tail` rewritten to run before a PixelShuffle(factor) instead of after it.

    tail(shuffle(z)) == shuffle(conv'(z)): conv' reads the r²·C low-resolution channels of z
    and writes r²·C_out channels, one per output sub-pixel; its kernel covers the LR positions
    that the HR kernel reaches from each sub-pixel. Returns (conv', LR padding). This spares the
    shuffled r²-times-larger feature map and runs a GEMM with r²× more output channels (a 3-
    channel 9×9 conv at HR is the worst-shaped layer of the network on a CPU).
    """
    out_ch, in_ch, k, _ = tail.weight.shape
    pad, r = k // 2, factor
    lo, hi = (-pad) // r, (r - 1 + pad) // r  # LR offsets reached from the sub-pixels
    if lo != -hi:
        raise ValueError(f"asymmetric sub-pixel kernel for k={k}, r={r}")
    size = hi - lo + 1
    weight = torch.zeros(out_ch * r * r, in_ch * r * r, size, size, dtype=tail.weight.dtype)
    for jy in range(r):
        for jx in range(r):
            for dy in range(-pad, pad + 1):
                for dx in range(-pad, pad + 1):
                    uy, ux = jy + dy, jx + dx
                    # PixelShuffle: HR (r·Y + iy, r·X + ix) of channel c is LR channel c·r² + iy·r + ix.
                    iy, ix = uy % r, ux % r
                    rows = torch.arange(out_ch) * r * r + jy * r + jx
                    cols = torch.arange(in_ch) * r * r + iy * r + ix
                    weight[rows[:, None], cols[None, :], uy // r - lo, ux // r - lo] = tail.weight[
                        :, :, dy + pad, dx + pad
                    ]
    conv = nn.Conv2d(in_ch * r * r, out_ch * r * r, size, padding=hi)
    conv.weight.copy_(weight)
    conv.bias.copy_(tail.bias.repeat_interleave(r * r))
    return conv, hi


class InferenceSRResNet(nn.Module):
    """A folded SRResNet rearranged for inference speed and memory; the same function.

    - residual adds in place (each skip is added into the fresh conv output);
    - the last sub-pixel stage applies its PReLU before the shuffle (per-channel PReLU commutes
      with PixelShuffle once its weights are repeated r² times), in place, and the tail conv
      runs before the shuffle (subpixel_tail_conv): the largest tensor of the network, the
      r²·64-channel map, is then allocated once instead of three times.
    In-place ops make it inference-only (no autograd).
    """

    def __init__(self, folded: SRResNet) -> None:
        super().__init__()
        self.config = folded.config
        self.head, self.body, self.body_conv = folded.head, folded.body, folded.body_conv
        *early, last = folded.upsample
        self.upsample = nn.Sequential(*early)
        self.last_conv = last.conv
        self.last_factor = last.factor
        self.register_buffer("last_prelu", last.act.weight.detach().repeat_interleave(last.factor**2))
        self.tail, _ = subpixel_tail_conv(folded.tail, last.factor)
        self.shuffle = nn.PixelShuffle(last.factor)

    @property
    def scale(self) -> int:
        return self.config.scale

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        features = self.head(x)
        h = features
        for block in self.body:
            h = block.conv2(block.act(block.conv1(h))).add_(h)
        h = self.body_conv(h).add_(features)
        h = self.upsample(h)
        h = prelu_(self.last_conv(h), self.last_prelu.to(h.dtype))
        return self.shuffle(self.tail(h))


def prepare_model(model: nn.Module, device: torch.device) -> nn.Module:
    """Eval mode, no grads, on `device`, channels_last; an SRResNet also gets BN folded and the
    in-place, sub-pixel-tail graph of InferenceSRResNet, a SPAN its fused convs (a copy, if
    it came in training form). Any other module is prepared in place and returned."""
    if isinstance(model, SRResNet):
        model = InferenceSRResNet(fold_batch_norm(model))
    elif isinstance(model, SPAN) and not model.is_fused:
        model = copy.deepcopy(model).fuse()
    model = model.eval().requires_grad_(False).to(device)
    return model.to(memory_format=torch.channels_last)


def tune_allocator() -> bool:
    """Keep large CPU tensors on glibc's heap so each tile reuses memory instead of page-faulting.

    Process-wide and idempotent; a no-op off glibc. RSS then stays at its peak between calls
    (the peak itself does not grow: the same tile shapes reuse the same blocks).
    """
    global _allocator_tuned
    if _allocator_tuned or not sys.platform.startswith("linux"):
        return _allocator_tuned
    try:
        libc = ctypes.CDLL("libc.so.6")
        ok = bool(libc.mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD)) and bool(
            libc.mallopt(_M_TRIM_THRESHOLD, 2**31 - 1)
        )
    except (OSError, AttributeError):
        ok = False
    _allocator_tuned = ok
    logger.info("glibc allocator tuned for large tensors: %s", ok)
    return ok
