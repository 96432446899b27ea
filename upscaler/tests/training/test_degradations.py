"""The real-world degradation chain: seeded, and each documented effect really happens."""

from dataclasses import replace

import numpy as np
import pytest

from upscaler.training import degradation_presets as presets
from upscaler.training import degradations as d


def _photo_like(size=128, seed=0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size]
    base = np.stack([np.sin(xx / (5 + 3 * c)) * np.cos(yy / (7 + c)) for c in range(3)], axis=-1)
    texture = rng.normal(0, 0.08, size=(size, size, 3))
    return d.to_uint8(np.clip(0.5 + 0.35 * base + texture, 0, 1))


def _blockiness(img: np.ndarray) -> float:
    """Mean luma step across 8-px block boundaries over the mean step inside blocks."""
    y = img.astype(np.float64).mean(axis=2)
    steps = np.abs(np.diff(y, axis=1))
    at_boundary = steps[:, 7::8].mean()
    inside = np.delete(steps, np.s_[7::8], axis=1).mean()
    return at_boundary / inside


def test_the_chain_is_deterministic_under_a_seed():
    hr = _photo_like()
    first = d.degrade(hr, 4, presets.PHOTO, np.random.default_rng(7))
    again = d.degrade(hr, 4, presets.PHOTO, np.random.default_rng(7))
    other = d.degrade(hr, 4, presets.PHOTO, np.random.default_rng(8))
    assert first.shape == (32, 32, 3) and first.dtype == np.uint8
    assert np.array_equal(first, again)
    assert not np.array_equal(first, other)


def test_every_preset_gives_lr_of_the_target_size_for_many_draws():
    hr = _photo_like(96)
    rng = np.random.default_rng(0)
    for name in ("photo", "photo-sharp"):
        for _ in range(30):
            assert d.degrade(hr, 4, presets.preset(name), rng).shape == (24, 24, 3)
    assert presets.preset("bicubic") is None
    with pytest.raises(ValueError, match="unknown degradation preset"):
        presets.preset("nope")


def test_a_jpeg_round_trip_really_happens():
    hr = _photo_like(256)
    smooth = d.to_uint8(d.convolve(hr.astype(np.float32) / 255, d.blur_kernel(9, 1.5, 1.5, 0.0)))
    assert _blockiness(smooth) < 1.2
    # Quality 30 leaves 8×8 block edges a model has to learn to remove.
    assert _blockiness(d.to_uint8(d.jpeg_round_trip(smooth.astype(np.float32) / 255, 30))) > 1.5
    # The chain's JPEG alone (every other operation switched off) does the same.
    off = replace(presets.PHOTO.first, noise_probability=0.0, resize_odds=(0.0, 0.0, 1.0),
                  blur=replace(presets.PHOTO.first.blur, probability=0.0), jpeg_probability=0.0)
    only_jpeg = replace(presets.PHOTO, first=off, second_probability=0.0, final_sinc_probability=0.0,
                        jpeg_quality=(30, 30), antialias_probability=0.0)
    # Scale 1 makes the final resize an identity, so whichever order the draw picks, the LR is
    # exactly Pillow's encode-decode of the input.
    lr = d.degrade(smooth, 1, only_jpeg, np.random.default_rng(0))
    assert np.array_equal(lr, d.to_uint8(d.jpeg_round_trip(smooth.astype(np.float32) / 255, 30)))
    assert _blockiness(lr) > 1.5


@pytest.mark.parametrize("gray", [False, True])
def test_gaussian_noise_has_the_asked_sigma(gray):
    img = np.full((256, 256, 3), 0.5, dtype=np.float32)
    noisy = d.add_gaussian_noise(img, 10 / 255, gray=gray, rng=np.random.default_rng(0))
    noise = noisy - img
    assert noise.std() == pytest.approx(10 / 255, rel=0.02)
    assert abs(noise.mean()) < 1e-3
    channels_equal = np.allclose(noise[..., 0], noise[..., 1]) and np.allclose(noise[..., 1], noise[..., 2])
    assert channels_equal == gray


def test_poisson_noise_grows_with_brightness():
    rng = np.random.default_rng(0)
    dark = d.add_poisson_noise(np.full((128, 128, 3), 0.1, np.float32), 1.0, gray=False, rng=rng) - 0.1
    bright = d.add_poisson_noise(np.full((128, 128, 3), 0.8, np.float32), 1.0, gray=False, rng=rng) - 0.8
    # Shot noise: variance = intensity / 255 at scale 1.
    assert dark.var() == pytest.approx(0.1 / 255, rel=0.05)
    assert bright.var() == pytest.approx(0.8 / 255, rel=0.05)


def test_blur_kernels_have_their_shapes():
    iso = d.blur_kernel(21, 2.0, 2.0, 0.0)
    assert iso.sum() == pytest.approx(1.0, abs=1e-5)
    assert np.allclose(iso, iso.T, atol=1e-7) and np.allclose(iso, iso[::-1], atol=1e-7)
    aniso = d.blur_kernel(21, 3.0, 0.5, 0.0)
    assert aniso[10, :].sum() > 3 * aniso[:, 10].sum()  # wide along x, narrow along y
    rotated = d.blur_kernel(21, 3.0, 0.5, np.pi / 2)
    assert np.allclose(rotated, aniso.T, atol=1e-6)
    plateau = d.blur_kernel(21, 2.0, 2.0, 0.0, kind="plateau", beta=2.0)
    gauss = d.blur_kernel(21, 2.0, 2.0, 0.0)
    assert plateau[10, 0] > gauss[10, 0]  # heavier tails
    heavy = d.blur_kernel(21, 2.0, 2.0, 0.0, kind="generalised", beta=0.5)
    flat = d.blur_kernel(21, 2.0, 2.0, 0.0, kind="generalised", beta=4.0)
    assert heavy[10, 0] > gauss[10, 0] > flat[10, 0]
    sinc = d.sinc_kernel(21, np.pi / 3)
    assert sinc.sum() == pytest.approx(1.0, abs=1e-5) and sinc.min() < 0  # negative lobes ring
    with pytest.raises(ValueError):
        d.blur_kernel(8, 1.0, 1.0, 0.0)


def test_sinc_filter_rings_at_an_edge():
    step = np.zeros((64, 64, 3), np.float32)
    step[:, 32:] = 0.8
    step[:, :32] = 0.2
    out = d.convolve(step, d.sinc_kernel(15, np.pi / 3))
    assert out.max() > 0.8 + 0.01 and out.min() < 0.2 - 0.01  # overshoot on both sides


@pytest.mark.parametrize("mode", d.RESIZE_MODES)
def test_resizing_goes_up_and_down_in_each_mode(mode):
    img = _photo_like(64).astype(np.float32) / 255
    assert d.resize(img, (96, 80), mode).shape == (96, 80, 3)
    assert d.resize(img, (20, 30), mode, antialias=True).shape == (20, 30, 3)


def test_unsharp_masking_sharpens_edges_and_keeps_flat_areas():
    step = np.zeros((64, 64, 3), np.float32)
    step[:, 32:] = 0.7
    step[:, :32] = 0.3
    soft = d.convolve(step, d.blur_kernel(9, 1.5, 1.5, 0.0))
    sharp = d.unsharp_mask(soft)
    edge_slope = lambda im: np.abs(np.diff(im[32, 28:36, 0])).max()  # noqa: E731
    assert edge_slope(sharp) > 1.1 * edge_slope(soft)
    assert sharp.max() > soft.max() + 0.01 and sharp.min() < soft.min() - 0.01  # crisper, with overshoot
    assert np.allclose(sharp[:, :8], soft[:, :8], atol=1e-3)


def test_fixed_degradations_are_reproducible_and_distinct():
    hr = _photo_like(96)
    lrs = {n: d.fixed_degradation(n, hr, 4) for n in d.FIXED_DEGRADATIONS}
    assert all(lr.shape == (24, 24, 3) for lr in lrs.values())
    assert np.array_equal(lrs["real"], d.fixed_degradation("real", hr, 4))
    assert np.array_equal(lrs["clean"], d.bicubic_downscale(hr, 4))
    assert not np.array_equal(lrs["jpeg75"], lrs["clean"])
    assert not np.array_equal(lrs["real"], lrs["jpeg75"])
    with pytest.raises(ValueError):
        d.fixed_degradation("heavy", hr, 4)


def test_the_degradation_sheet_shows_each_crop_and_its_samples(tmp_path):
    from PIL import Image

    from upscaler.training.__main__ import main
    from upscaler.training.sheet import CROPS, LABEL_HEIGHT, ZOOM

    out = tmp_path / "sheet.png"
    assert main(["degradations", str(out), "--preset", "photo", "--scale", "4", "--samples", "2"]) == 0
    with Image.open(out) as sheet:
        panel = CROPS[0][1][2] * ZOOM
        assert sheet.size == (3 * panel, len(CROPS) * (panel + LABEL_HEIGHT))
    with pytest.raises(SystemExit, match="bicubic"):
        main(["degradations", str(out), "--preset", "bicubic"])


def test_the_comparison_sheet_has_a_row_per_crop_and_degradation(tmp_path):
    from PIL import Image

    from upscaler.training.evaluate import bicubic_upscale
    from upscaler.training.sheet import CROPS, LABEL_HEIGHT, ZOOM, make_sheet

    out = make_sheet({"bicubic": bicubic_upscale(4)}, 4, tmp_path / "sheet.png", ("jpeg75", "real"))
    with Image.open(out) as sheet:
        panel = CROPS[0][1][2] * ZOOM
        assert sheet.size == (2 * panel, 2 * len(CROPS) * (panel + LABEL_HEIGHT))


def test_the_common_case_is_software_downscaling_then_jpeg():
    from dataclasses import replace

    hr = _photo_like(256)
    simple = replace(presets.PHOTO.simple, probability=1.0, blur_probability=0.0, noise_probability=0.0,
                     jpeg_quality=(30, 30))
    config = replace(presets.PHOTO, simple=simple)
    lr = d.degrade(hr, 2, config, np.random.default_rng(3))
    assert lr.shape == (128, 128, 3) and _blockiness(lr) > 1.3  # JPEG blocks on a shrunk photo
    again = d.degrade(hr, 2, config, np.random.default_rng(3))
    assert np.array_equal(lr, again)
    assert presets.PHOTO_HEAVY.simple is None  # the full chain only, as the photo-heavy run had it
