"""Inference-time rewrites of a trained SRResNet that keep its function: BN folding, layout.

Measured on the 2-core AVX2 CPU (docs/PERF-NOTES.md): channels_last is the big win (2.4×),
folding batch norm into the preceding convolution adds a little and saves a pass over memory.
torch.compile is not used: ~25 s of compile per process for no gain here.
"""

from __future__ import annotations

import copy

import torch
from torch import nn

from upscaler.engine.archs.srresnet import SRResNet


@torch.no_grad()
def fold_conv_bn(conv: nn.Conv2d, bn: nn.BatchNorm2d) -> nn.Conv2d:
    """A conv computing bn(conv(x)) with BN's running statistics (eval-mode BN only)."""
    fused = copy.deepcopy(conv)
    if fused.bias is None:
        fused.bias = nn.Parameter(torch.zeros(conv.out_channels, dtype=conv.weight.dtype))
    factor = bn.weight / torch.sqrt(bn.running_var + bn.eps)
    fused.weight.copy_(conv.weight * factor.reshape(-1, 1, 1, 1))
    fused.bias.copy_((fused.bias - bn.running_mean) * factor + bn.bias)
    return fused


@torch.no_grad()
def fold_batch_norm(model: SRResNet) -> SRResNet:
    """A copy of `model` with every BatchNorm folded into its conv (BN replaced by Identity)."""
    model = copy.deepcopy(model).eval()
    if model.config.norm != "batch":
        return model
    for block in model.body:
        block.conv1, block.bn1 = fold_conv_bn(block.conv1, block.bn1), nn.Identity()
        block.conv2, block.bn2 = fold_conv_bn(block.conv2, block.bn2), nn.Identity()
    model.body_conv, model.body_norm = fold_conv_bn(model.body_conv, model.body_norm), nn.Identity()
    return model


def prepare_model(model: nn.Module, device: torch.device) -> nn.Module:
    """Eval mode, no grads, BN folded (SRResNet), on `device`, channels_last."""
    if isinstance(model, SRResNet):
        model = fold_batch_norm(model)
    model = model.eval().requires_grad_(False).to(device)
    return model.to(memory_format=torch.channels_last)
