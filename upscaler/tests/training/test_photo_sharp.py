"""The photo-sharp GAN's parts: Real-ESRGAN's U-Net discriminator and LDL's artifact map."""

import pytest
import torch

from upscaler.engine.archs.unet_discriminator import UNetDiscriminatorSN
from upscaler.tests.training.resume import assert_same_weights, straight_and_resumed
from upscaler.tests.training.test_train import tiny_config
from upscaler.training.losses import artifact_map, ldl_loss


def test_the_unet_discriminator_answers_per_pixel_with_spectral_norm():
    torch.manual_seed(0)
    d = UNetDiscriminatorSN(base_channels=4)
    logits, feats = d(torch.rand(2, 3, 24, 32), return_features=True)
    assert logits.shape == (2, 1, 24, 32) and len(feats) == 6
    assert feats[-1].shape == (2, 4, 24, 32)
    assert any("parametrizations" in name for name, _ in d.named_parameters())


def test_the_artifact_map_flags_only_where_the_ema_generator_was_closer():
    torch.manual_seed(0)
    hr = torch.rand(1, 3, 32, 32)
    noise = 0.2 * torch.randn(1, 3, 32, 32)
    sr = hr + noise  # invented detail everywhere...
    sr_ema = hr.clone()  # ...where the EMA generator was right (right half)...
    sr_ema[..., :16] += 2 * noise[..., :16]  # ...and where it was worse still (left half)
    weight = artifact_map(sr, sr_ema, hr)
    assert weight[..., 16:].min() > 0  # the current generator drifted from a better average
    assert weight[..., :16].max() == 0  # no better reference: not an artifact to suppress
    assert artifact_map(hr, hr, hr).abs().max() == 0  # a perfect output has nothing to suppress
    assert ldl_loss(sr, sr_ema, hr) > 0
    assert ldl_loss(hr, sr_ema, hr) == 0


def test_a_unet_gan_with_ldl_runs_and_resumes_exactly(tmp_path, synthetic_train_root):
    from upscaler.training.gan import GANConfig, GANTrainer
    from upscaler.training.train import Trainer

    Trainer(tmp_path / "psnr", tiny_config(synthetic_train_root, iterations=3)).run(show_progress=False)
    values = {**tiny_config(synthetic_train_root).__dict__, "iterations": 5, "d_base_channels": 4,
              "discriminator": "unet", "ldl_weight": 1.0, "degradation": "photo-sharp",
              "init_from": str(tmp_path / "psnr" / "checkpoint.pt")}
    config = GANConfig(**values)
    straight, resumed = straight_and_resumed(GANTrainer, config, tmp_path, steps_before_save=2)
    assert set(straight.last_terms) == {"content", "perceptual", "adversarial", "d_loss", "artifacts"}
    assert_same_weights(straight.model, resumed.model)
    assert_same_weights(straight.discriminator, resumed.discriminator)
    with pytest.raises(ValueError, match="discriminator"):
        GANTrainer(tmp_path / "bad", GANConfig(**{**values, "discriminator": "vgg"}))
