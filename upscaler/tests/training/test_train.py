from dataclasses import replace

import pytest
import torch

from upscaler.tests.training.resume import assert_same_weights, straight_and_resumed
from upscaler.training.config import TrainConfig
from upscaler.training.train import Trainer
from upscaler.training.validation import validate


def tiny_config(root, **overrides) -> TrainConfig:
    values = dict(scale=2, n_blocks=1, n_channels=8, lr_patch=8, batch_size=4, iterations=10,
                  max_lr=2e-3, val_every=5, threads=1, train_root=str(root), checkpoint_minutes=60)
    values.update(overrides)
    return TrainConfig(**values)


def test_a_short_run_lowers_the_loss(tmp_path, synthetic_train_root):
    trainer = Trainer(tmp_path / "run", tiny_config(synthetic_train_root, iterations=60))
    losses = [trainer.step() for _ in range(60)]
    assert sum(losses[-10:]) / 10 < 0.6 * sum(losses[:5]) / 5


def test_resume_is_bit_exact(tmp_path, synthetic_train_root):
    config = tiny_config(synthetic_train_root)
    straight = Trainer(tmp_path / "straight", config)
    straight.run(show_progress=False)

    first = Trainer(tmp_path / "resumed", config)
    for _ in range(4):
        first.step()
    first.save()
    del first
    resumed = Trainer(tmp_path / "resumed", config)
    assert resumed.iteration == 4
    resumed.run(show_progress=False)

    assert resumed.iteration == straight.iteration == config.iterations
    for key, value in straight.model.state_dict().items():
        assert torch.equal(value, resumed.model.state_dict()[key]), key
    for key, value in straight.ema.state_dict().items():
        assert torch.equal(value, resumed.ema.state_dict()[key]), key
    assert [v["psnr"] for v in resumed.history["val"]] == [v["psnr"] for v in straight.history["val"]]


def test_resume_refuses_changed_settings(tmp_path, synthetic_train_root):
    Trainer(tmp_path / "run", tiny_config(synthetic_train_root)).save()
    with pytest.raises(ValueError, match="n_channels"):
        Trainer(tmp_path / "run", tiny_config(synthetic_train_root, n_channels=16))


def test_growing_x2_into_x4_keeps_trained_weights(tmp_path, synthetic_train_root):
    small = Trainer(tmp_path / "x2", tiny_config(synthetic_train_root, iterations=3))
    small.run(show_progress=False)
    grown = Trainer(tmp_path / "x4", tiny_config(
        synthetic_train_root, scale=4, init_from=str(tmp_path / "x2" / "checkpoint.pt")))
    ema_x2 = small.ema.module.state_dict()
    for key, value in grown.model.state_dict().items():
        if not key.startswith("upsample.1."):
            assert torch.equal(value, ema_x2[key]), key
    assert grown.model(torch.rand(1, 3, 8, 8)).shape == (1, 3, 32, 32)


def test_gan_fine_tuning_runs_and_resumes_exactly(tmp_path, synthetic_train_root):
    from upscaler.training.gan import GANConfig, GANTrainer

    Trainer(tmp_path / "psnr", tiny_config(synthetic_train_root, iterations=3)).run(show_progress=False)
    gan_values = {**tiny_config(synthetic_train_root).__dict__, "iterations": 6, "d_base_channels": 4,
                  "init_from": str(tmp_path / "psnr" / "checkpoint.pt")}
    config = GANConfig(**gan_values)
    straight = GANTrainer(tmp_path / "gan", config)
    straight.run(show_progress=False)
    assert set(straight.last_terms) == {"content", "perceptual", "adversarial", "d_loss"}
    assert all(torch.isfinite(torch.tensor(v)) for v in straight.last_terms.values())

    part = GANTrainer(tmp_path / "gan2", config)
    for _ in range(2):
        part.step()
    part.save()
    resumed = GANTrainer(tmp_path / "gan2", config)
    resumed.run(show_progress=False)
    for key, value in straight.discriminator.state_dict().items():
        assert torch.equal(value, resumed.discriminator.state_dict()[key]), key
    # The discriminator's rate anneals with the generator's, to the same end.
    assert straight.d_scheduler.get_last_lr() == resumed.d_scheduler.get_last_lr()
    d_fraction = straight.d_scheduler.get_last_lr()[0] / config.d_lr
    assert d_fraction < 0.1
    assert d_fraction == pytest.approx(straight.scheduler.get_last_lr()[0] / config.max_lr)
    for key, value in straight.model.state_dict().items():
        assert torch.equal(value, resumed.model.state_dict()[key]), key


def test_resume_may_change_length_and_threads(tmp_path, synthetic_train_root):
    Trainer(tmp_path / "run", tiny_config(synthetic_train_root)).save()
    resumed = Trainer(tmp_path / "run", tiny_config(synthetic_train_root, iterations=100, threads=2))
    assert (resumed.config.iterations, resumed.config.threads) == (100, 2)
    assert resumed.scheduler.total_steps == 100
    resumed.step()  # the stretched schedule steps from where the run stopped


def test_a_grown_run_counts_the_cpu_time_of_its_source(tmp_path, synthetic_train_root):
    from upscaler.training.checkpoint import load_checkpoint, total_cpu_seconds

    small = Trainer(tmp_path / "x2", tiny_config(synthetic_train_root, iterations=3))
    small.run(show_progress=False)
    grown = Trainer(tmp_path / "x4", tiny_config(
        synthetic_train_root, scale=4, iterations=3, init_from=str(tmp_path / "x2" / "checkpoint.pt")))
    grown.run(show_progress=False)
    source_cost = small.cpu_seconds
    assert source_cost > 0 and grown.init_cpu_seconds == source_cost
    # The source trains on afterwards: what the grown weights cost stays what it was.
    Trainer(tmp_path / "x2", tiny_config(synthetic_train_root, iterations=6)).run(show_progress=False)
    resumed = Trainer(tmp_path / "x4", tiny_config(
        synthetic_train_root, scale=4, iterations=3, init_from=str(tmp_path / "x2" / "checkpoint.pt")))
    assert resumed.init_cpu_seconds == source_cost
    ckpt = load_checkpoint(tmp_path / "x4" / "checkpoint.pt")
    assert total_cpu_seconds(ckpt) == pytest.approx(grown.cpu_seconds + source_cost)


def test_a_tiny_photo_run_lowers_its_loss_and_resumes_bit_exactly(tmp_path, synthetic_train_root):
    config = tiny_config(synthetic_train_root, arch="span", n_blocks=1, n_channels=8, degradation="photo",
                         val_degradations="jpeg75,real", lr_patch=12, iterations=60, val_every=20)
    learner = Trainer(tmp_path / "learn", config)
    # Each batch draws new degradations, so its loss is noisy: the held-out score (fixed LR) shows
    # the learning (measured: 26.3 → 32.8 dB after 80 steps).
    before = validate(learner.model, learner.val_pairs, 2, channels_last=True)["psnr"]
    for _ in range(60):
        learner.step()
    assert validate(learner.model, learner.val_pairs, 2, channels_last=True)["psnr"] > before + 2

    straight, resumed = straight_and_resumed(Trainer, replace(config, iterations=8, val_every=4), tmp_path,
                                             steps_before_save=3)
    assert_same_weights(straight.model, resumed.model)
    val = straight.history["val"][-1]
    assert {"psnr_jpeg75", "psnr_real", "psnr", "detail"} <= set(val)
    assert val["psnr"] == pytest.approx((val["psnr_jpeg75"] + val["psnr_real"]) / 2, abs=1e-3)


def test_a_photo_run_fine_tunes_from_a_clean_checkpoint_of_the_same_scale(tmp_path, synthetic_train_root):
    clean = Trainer(tmp_path / "clean", tiny_config(synthetic_train_root, iterations=3))
    clean.run(show_progress=False)
    photo = Trainer(tmp_path / "photo", tiny_config(synthetic_train_root, degradation="photo",
                                                    init_from=str(tmp_path / "clean" / "checkpoint.pt")))
    for key, value in clean.ema.module.state_dict().items():
        assert torch.equal(value, photo.model.state_dict()[key]), key
    with pytest.raises(ValueError, match="arch"):
        tiny_config(synthetic_train_root, arch="vgg")
    with pytest.raises(ValueError, match="validation degradations"):
        tiny_config(synthetic_train_root, val_degradations="clean,heavy")


def test_a_run_refuses_to_resume_when_its_degradation_preset_changed(tmp_path, synthetic_train_root, monkeypatch):
    from dataclasses import replace as dc_replace

    from upscaler.training import degradation_presets

    config = tiny_config(synthetic_train_root, degradation="photo")
    Trainer(tmp_path / "run", config).save()
    Trainer(tmp_path / "run", config)  # unchanged: resumes
    edited = dc_replace(degradation_presets.PHOTO, jpeg_quality=(10, 20))
    monkeypatch.setitem(degradation_presets.PRESETS, "photo", edited)
    with pytest.raises(ValueError, match="preset changed"):
        Trainer(tmp_path / "run", config)


def test_a_span_run_changes_scale_keeping_its_low_resolution_body(tmp_path, synthetic_train_root):
    x4 = Trainer(tmp_path / "x4", tiny_config(synthetic_train_root, arch="span", scale=4, iterations=3))
    x4.run(show_progress=False)
    x2 = Trainer(tmp_path / "x2", tiny_config(synthetic_train_root, arch="span", scale=2,
                                              init_from=str(tmp_path / "x4" / "checkpoint.pt")))
    source = x4.ema.module.state_dict()
    for key, value in x2.model.state_dict().items():
        if not key.startswith("tail."):
            assert torch.equal(value, source[key]), key
    assert x2.model.tail.out_channels == 3 * 2 * 2
    assert x2.model(torch.rand(1, 3, 8, 8)).shape == (1, 3, 16, 16)
