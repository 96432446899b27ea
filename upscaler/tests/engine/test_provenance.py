"""Provenance of an upload: JPEG quality from its tables, lossy WebP, noise of lossless images."""

import io

import numpy as np
import pytest
from PIL import Image

from upscaler.engine.provenance import NOISY_SIGMA, jpeg_quality, libjpeg_table, noise_sigma, read_provenance


def _photo(size=192, seed=0) -> Image.Image:
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size]
    smooth = 128 + 60 * np.sin(xx / 17.0)[..., None] * np.cos(yy / 23.0)[..., None] * np.ones(3)
    return Image.fromarray(np.clip(smooth + rng.normal(0, 0.5, smooth.shape), 0, 255).astype(np.uint8))


def _encode(img: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    img.save(buffer, format=fmt, **options)
    return buffer.getvalue()


@pytest.mark.parametrize("quality", [30, 55, 70, 72, 90, 95])
def test_the_quality_of_a_pillow_jpeg_is_read_back_exactly(quality):
    provenance = read_provenance(_encode(_photo(), "JPEG", quality=quality))
    assert (provenance.format, provenance.lossy, provenance.quality) == ("JPEG", True, quality)
    assert provenance.summary == f"JPEG, quality ≈ {quality}"
    assert provenance.degraded == (quality < 95)


def test_foreign_tables_get_the_nearest_quality():
    custom = (libjpeg_table(80) * 1.1).round().tolist()  # an encoder with its own, slightly coarser table
    assert 75 <= jpeg_quality({0: custom}) <= 80
    assert jpeg_quality({}) is None


def test_lossless_images_are_clean_unless_noisy():
    clean = read_provenance(_encode(_photo(), "PNG"))
    assert (clean.lossy, clean.degraded, clean.summary) == (False, False, "PNG, clean")
    rng = np.random.default_rng(1)
    noisy_pixels = np.asarray(_photo()).astype(float) + rng.normal(0, 10, (192, 192, 3))  # colour noise: luma σ ≈ 6.7
    noisy = read_provenance(_encode(Image.fromarray(np.clip(noisy_pixels, 0, 255).astype(np.uint8)), "PNG"))
    assert noisy.noise > NOISY_SIGMA and noisy.degraded and noisy.summary.startswith("PNG, noisy")


def test_the_noise_estimate_follows_the_added_sigma_on_flat_areas():
    rng = np.random.default_rng(2)
    flat = np.full((256, 256), 120.0)
    assert noise_sigma(flat) == 0
    for sigma in (2.0, 5.0, 10.0):
        estimate = noise_sigma(flat + rng.normal(0, sigma, flat.shape))
        assert 0.7 * sigma < estimate < 1.1 * sigma  # a low percentile of blocks reads a bit low
    assert noise_sigma(np.zeros((2, 2))) == 0.0


def test_webp_lossy_and_lossless_are_told_apart():
    assert read_provenance(_encode(_photo(), "WEBP", quality=80)).lossy is True
    lossless = read_provenance(_encode(_photo(), "WEBP", lossless=True))
    assert lossless.lossy is False and lossless.degraded is False


def test_the_choice_sends_degraded_files_to_the_photo_model():
    from upscaler.engine.provenance import choose_model

    jpeg70 = read_provenance(_encode(_photo(), "JPEG", quality=70))
    png = read_provenance(_encode(_photo(), "PNG"))
    assert choose_model(jpeg70, clean="srresnet", photo="photo").name == "photo"
    assert choose_model(jpeg70, clean="srresnet", photo="photo").reason == "JPEG, quality ≈ 70: photo"
    assert choose_model(png, clean="srresnet", photo="photo").name == "srresnet"
    fallback = choose_model(jpeg70, clean="srresnet", photo=None)
    assert fallback.name == "srresnet" and "no photo model" in fallback.reason


def test_a_lossless_mode_without_luma_is_read_as_lossless_not_refused():
    # Pillow cannot convert a LAB TIFF to grey; the reader accepts it, so provenance must too.
    lab = read_provenance(_encode(Image.new("LAB", (40, 30)), "TIFF"))
    assert (lab.lossy, lab.noise, lab.degraded, lab.summary) == (False, None, False, "TIFF, lossless")
