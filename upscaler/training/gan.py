"""GAN fine-tuning of a PSNR checkpoint: sharper textures than the PSNR model.

The generator starts from a trained PSNR checkpoint of the same scale. Its loss is
    content (Charbonnier, keeps colours and structure)
  + feature_weight · L1 between the discriminator's feature maps of SR and HR  (SRPGAN)
  + adversarial_weight · -log D(SR)                                           (SRGAN)
  + ldl_weight · L1 where LDL's artifact map flags invented detail            (LDL, CVPR 2022)
An ImageNet VGG would be the usual perceptual network, but its weights cannot be downloaded here;
the discriminator's own features are the SRPGAN answer. `discriminator="srgan"` is the SRGAN
paper's patch classifier (our `srgan` model); `"unet"` is Real-ESRGAN's per-pixel U-Net with
spectral norm (the `photo-sharp` model). The discriminator uses one-sided label smoothing and a
lower learning rate so that it does not overpower the generator on small batches.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from upscaler.engine.archs.discriminator import SRGANDiscriminator
from upscaler.engine.archs.unet_discriminator import UNetDiscriminatorSN
from upscaler.training.config import TrainConfig
from upscaler.training.losses import adversarial_d, adversarial_g, charbonnier, feature_matching, ldl_loss
from upscaler.training.train import Trainer


@dataclass
class GANConfig(TrainConfig):
    content_weight: float = 1.0
    feature_weight: float = 0.1
    adversarial_weight: float = 5e-3
    d_base_channels: int = 32
    #: "srgan" (patch classifier) or "unet" (Real-ESRGAN's per-pixel U-Net with spectral norm).
    discriminator: str = "srgan"
    #: Weight of LDL's artifact-suppression term (0: off, as in our first SRGAN).
    ldl_weight: float = 0.0
    d_lr: float = 1e-4
    max_lr: float = 1e-4
    pct_start: float = 0.02


class GANTrainer(Trainer):
    config_class = GANConfig

    def _setup_extra(self) -> None:
        torch.manual_seed(self.config.seed + 1)
        kinds = {"srgan": SRGANDiscriminator, "unet": UNetDiscriminatorSN}
        if self.config.discriminator not in kinds:
            raise ValueError(f"discriminator must be one of {sorted(kinds)}, got {self.config.discriminator!r}")
        self.discriminator = kinds[self.config.discriminator](base_channels=self.config.d_base_channels)
        if self.config.channels_last:
            self.discriminator = self.discriminator.to(memory_format=torch.channels_last)
        self.d_optimizer = torch.optim.Adam(self.discriminator.parameters(), lr=self.config.d_lr, betas=(0.9, 0.99))
        # D anneals with G. With a constant rate it kept learning while G's rate fell to nothing,
        # won (D loss 1.2 → 0.5, G's adversarial term 1 → 4 over the last 800 of 2000
        # iterations in our first run) and pushed G into blotchy texture.
        self.d_scheduler = self._make_scheduler(self.d_optimizer, self.config.d_lr)
        self.last_terms: dict[str, float] = {}

    def _extra_state(self) -> dict:
        return {"discriminator": self.discriminator.state_dict(), "d_optimizer": self.d_optimizer.state_dict(),
                "d_scheduler": self.d_scheduler.state_dict()}

    def _restore_extra(self, ckpt: dict) -> None:
        self.discriminator.load_state_dict(ckpt["discriminator"], strict=True)
        self.d_optimizer.load_state_dict(ckpt["d_optimizer"])
        self._restore_scheduler(self.d_scheduler, ckpt["d_scheduler"], ckpt["iteration"])

    def step(self) -> float:
        cfg = self.config
        lr_batch, hr_batch = self._batch()
        self.model.train()
        self.discriminator.train()
        sr = self.model(lr_batch)

        # Generator: D's parameters are frozen for this pass so only G gets gradients.
        self.discriminator.requires_grad_(False)
        fake_logits, fake_feats = self.discriminator(sr, return_features=True)
        with torch.no_grad():
            _, real_feats = self.discriminator(hr_batch, return_features=True)
        content = charbonnier(sr, hr_batch)
        perceptual = feature_matching(fake_feats, real_feats)
        adversarial = adversarial_g(fake_logits)
        g_loss = cfg.content_weight * content + cfg.feature_weight * perceptual + cfg.adversarial_weight * adversarial
        artifacts = torch.zeros(())
        if cfg.ldl_weight > 0:
            with torch.no_grad():
                sr_ema = self.ema.module(lr_batch)
            artifacts = ldl_loss(sr, sr_ema, hr_batch)
            g_loss = g_loss + cfg.ldl_weight * artifacts
        self.optimizer.zero_grad(set_to_none=True)
        g_loss.backward()
        self._clip_gradients(self.model)
        self.optimizer.step()
        self.scheduler.step()
        self.ema.update_parameters(self.model)

        # Discriminator on real HR against the (detached) SR batch.
        self.discriminator.requires_grad_(True)
        d_loss = adversarial_d(self.discriminator(hr_batch), self.discriminator(sr.detach()))
        self.d_optimizer.zero_grad(set_to_none=True)
        d_loss.backward()
        self.d_optimizer.step()
        self.d_scheduler.step()

        self.iteration += 1
        self.last_terms = {"content": float(content.detach()), "perceptual": float(perceptual.detach()),
                           "adversarial": float(adversarial.detach()), "d_loss": float(d_loss.detach())}
        if cfg.ldl_weight > 0:
            self.last_terms["artifacts"] = float(artifacts.detach())
        return float(g_loss.detach())
