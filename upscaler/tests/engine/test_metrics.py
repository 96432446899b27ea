import math

import numpy as np
import pytest
from PIL import Image, ImageFilter

from upscaler.engine.metrics import detail_ratio, psnr_y, rgb_to_y, ssim_y


def test_psnr_of_a_known_offset():
    hr = np.full((20, 20, 3), 100, dtype=np.uint8)
    sr = hr + 5
    # An offset of 5 on R, G and B moves BT.601 luma by 5·219/255.
    expected = 10 * math.log10(255**2 / (5 * 219 / 255) ** 2)
    assert psnr_y(sr, hr, border=2) == pytest.approx(expected, abs=1e-9)


def test_border_is_shaved_before_measuring():
    hr = np.full((20, 20, 3), 100, dtype=np.uint8)
    sr = hr.copy()
    sr[:3] = 0  # damage confined to the shaved border
    assert psnr_y(sr, hr, border=3) == math.inf
    assert psnr_y(sr, hr, border=2) < 40


def test_luma_range_is_studio_swing():
    assert rgb_to_y(np.zeros((1, 1, 3))).item() == pytest.approx(16.0)
    assert rgb_to_y(np.full((1, 1, 3), 255.0)).item() == pytest.approx(235.0)


def test_ssim_of_flat_images_follows_the_luminance_term():
    # Zero variance leaves only SSIM's luminance term: (2·μa·μb + C1) / (μa² + μb² + C1).
    a = np.full((30, 30, 3), 100, dtype=np.uint8)
    b = np.full((30, 30, 3), 160, dtype=np.uint8)
    ya, yb = rgb_to_y(a[:1, :1]).item(), rgb_to_y(b[:1, :1]).item()
    c1 = (0.01 * 255) ** 2
    assert ssim_y(a, b, border=4) == pytest.approx((2 * ya * yb + c1) / (ya**2 + yb**2 + c1), rel=1e-9)
    assert ssim_y(a, a, border=4) == pytest.approx(1.0)


def test_ssim_drops_with_stronger_noise():
    yy, xx = np.mgrid[0:48, 0:48]
    hr = np.repeat(((np.sin(xx / 5) * np.cos(yy / 7) * 0.5 + 0.5) * 255)[..., None], 3, axis=2).astype(np.uint8)
    rng = np.random.default_rng(0)
    noise = rng.normal(size=hr.shape)
    scores = [ssim_y(np.clip(hr + s * noise, 0, 255).astype(np.uint8), hr, border=4) for s in (2, 10, 40)]
    assert 1.0 > scores[0] > scores[1] > scores[2]


def test_detail_ratio_falls_with_blur_and_rises_with_noise():
    rng = np.random.default_rng(1)
    hr = rng.integers(0, 256, size=(40, 40, 3), dtype=np.uint8)
    blurred = np.asarray(Image.fromarray(hr).filter(ImageFilter.GaussianBlur(1.5)))
    noisy = np.clip(blurred + rng.normal(scale=40, size=hr.shape), 0, 255).astype(np.uint8)
    assert detail_ratio(hr, hr, border=2) == pytest.approx(1.0)
    assert detail_ratio(blurred, hr, border=2) < 0.5
    assert detail_ratio(noisy, hr, border=2) > detail_ratio(blurred, hr, border=2)


def test_ssim_matches_the_papers_definition_to_a_golden_value():
    # Golden value from the hand-written implementation scikit-image replaced (torch conv2d over
    # the valid region with an 11×11 σ 1.5 window): 0.9863906157141096.
    rng = np.random.default_rng(5)
    hr = rng.integers(0, 256, (40, 36, 3), dtype=np.uint8)
    sr = np.clip(hr.astype(int) + rng.integers(-20, 21, hr.shape), 0, 255).astype(np.uint8)
    assert ssim_y(sr, hr, border=2) == pytest.approx(0.9863906157141096, abs=1e-12)
    assert psnr_y(sr, hr, border=2) == pytest.approx(31.317603120438775, abs=1e-9)
