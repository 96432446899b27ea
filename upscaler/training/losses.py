"""Losses: Charbonnier content loss, the SRGAN / SRPGAN adversarial and feature losses, and LDL's
artifact-suppression loss."""

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


def local_variance(x: torch.Tensor, window: int = 7) -> torch.Tensor:
    """Variance of `x` (N×1×H×W) in a window×window neighbourhood of each pixel (unbiased=False)."""
    pool = dict(kernel_size=window, stride=1, padding=window // 2, count_include_pad=False)
    mean = F.avg_pool2d(x, **pool)
    return (F.avg_pool2d(x * x, **pool) - mean * mean).clamp_min(0)


def artifact_map(sr: torch.Tensor, sr_ema: torch.Tensor, hr: torch.Tensor, window: int = 7) -> torch.Tensor:
    """LDL's refined artifact map (Liang et al., "Details or Artifacts", CVPR 2022).

    Artifacts are where the residual |HR − SR| is irregular: its local variance, scaled by the
    patch's overall residual variance^(1/5) (textured patches tolerate more). Where the EMA
    generator — the stable average the GAN wobbles around — is closer to HR than the current one,
    the current generator has drifted into invented detail: keep the weight there; elsewhere zero.
    Detached: it is a mask that says where to look, not something to optimise.
    """
    with torch.no_grad():
        residual = (hr - sr).abs().sum(dim=1, keepdim=True)
        residual_ema = (hr - sr_ema).abs().sum(dim=1, keepdim=True)
        patch_weight = residual.var(dim=(-1, -2, -3), keepdim=True) ** 0.2
        weight = patch_weight * local_variance(residual, window)
        return weight * (residual >= residual_ema)


def ldl_loss(sr: torch.Tensor, sr_ema: torch.Tensor, hr: torch.Tensor) -> torch.Tensor:
    """L1 between SR and HR where the artifact map says the generator invents detail."""
    weight = artifact_map(sr, sr_ema, hr)
    return F.l1_loss(weight * sr, weight * hr)
