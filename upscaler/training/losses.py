"""Losses: Charbonnier content loss, and the SRGAN / SRPGAN adversarial and feature losses."""

from __future__ import annotations

import torch
import torch.nn.functional as F


def charbonnier(pred: torch.Tensor, target: torch.Tensor, eps: float = 1e-3) -> torch.Tensor:
    """A differentiable L1 (Lai et al. 2017); eps=1e-3 on [0, 1] images is below one 8-bit level."""
    return torch.sqrt((pred - target) ** 2 + eps * eps).mean()


def adversarial_g(fake_logits: torch.Tensor) -> torch.Tensor:
    """Non-saturating generator loss, -log D(G(z)), as in the SRGAN paper."""
    return F.binary_cross_entropy_with_logits(fake_logits, torch.ones_like(fake_logits))


def adversarial_d(real_logits: torch.Tensor, fake_logits: torch.Tensor, smooth: float = 0.1) -> torch.Tensor:
    """Discriminator loss with one-sided label smoothing (real target 1 - smooth) for stability."""
    real = F.binary_cross_entropy_with_logits(real_logits, torch.full_like(real_logits, 1.0 - smooth))
    fake = F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))
    return real + fake


def feature_matching(fake_feats: list[torch.Tensor], real_feats: list[torch.Tensor]) -> torch.Tensor:
    """SRPGAN's perceptual loss: L1 between the discriminator's feature maps of SR and HR."""
    losses = [F.l1_loss(f, r.detach()) for f, r in zip(fake_feats, real_feats, strict=True)]
    return torch.stack(losses).mean()
