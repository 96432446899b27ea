"""Image quality as SR papers report it: Y-channel PSNR and SSIM (ITU-R BT.601 luma, border
shaved), and the detail ratio. Used by training, evaluation and the service's benchmark mode; numpy
and scikit-image only (no torch), so scoring a benchmark needs no network runtime."""

from __future__ import annotations

import math

import numpy as np
from skimage.metrics import structural_similarity

#: BT.601 studio-swing luma for RGB in [0, 255]: Y in [16, 235] (the Matlab rgb2ycbcr convention).
_Y_WEIGHTS = np.array([65.481, 128.553, 24.966]) / 255.0


def rgb_to_y(img: np.ndarray) -> np.ndarray:
    """H×W×3 uint8 (or float in [0, 255]) → H×W float64 luma in [16, 235]."""
    if img.ndim == 2:  # grayscale images are their own luma
        return img.astype(np.float64) * (219.0 / 255.0) + 16.0
    return img[..., :3].astype(np.float64) @ _Y_WEIGHTS + 16.0


def shave(img: np.ndarray, border: int) -> np.ndarray:
    return img[border:-border, border:-border] if border > 0 else img


def psnr_y(sr: np.ndarray, hr: np.ndarray, *, border: int) -> float:
    """PSNR in dB between the Y channels of two uint8 images of the same size."""
    if sr.shape != hr.shape:
        raise ValueError(f"shape mismatch: {sr.shape} vs {hr.shape}")
    diff = shave(rgb_to_y(sr), border) - shave(rgb_to_y(hr), border)
    mse = float(np.mean(diff**2))
    return float("inf") if mse == 0 else 10.0 * math.log10(255.0**2 / mse)


def ssim_y(sr: np.ndarray, hr: np.ndarray, *, border: int) -> float:
    """SSIM on Y as Wang et al. 2004 define it (11×11 Gaussian σ = 1.5, K1 = 0.01, K2 = 0.03,
    population covariance, the mean over the valid region): scikit-image with those options."""
    if sr.shape != hr.shape:
        raise ValueError(f"shape mismatch: {sr.shape} vs {hr.shape}")
    a, b = shave(rgb_to_y(sr), border), shave(rgb_to_y(hr), border)
    return float(structural_similarity(a, b, gaussian_weights=True, sigma=1.5, use_sample_covariance=False,
                                       data_range=255.0))


def detail_ratio(sr: np.ndarray, hr: np.ndarray, *, border: int) -> float:
    """Mean luma gradient magnitude of SR over that of HR (1.0 = as much fine detail as the truth).

    PSNR rewards the blur that averages plausible textures, so it cannot show what the GAN model
    adds; this ratio can: a PSNR-trained model lands well below 1, a GAN model nearer to it (or
    above, when it invents more texture than the photo had). It says nothing about whether the
    detail is the right detail — read it beside PSNR and the pictures.
    """
    if sr.shape != hr.shape:
        raise ValueError(f"shape mismatch: {sr.shape} vs {hr.shape}")

    def energy(img: np.ndarray) -> float:
        y = shave(rgb_to_y(img), border)
        return float(np.mean(np.abs(np.diff(y, axis=0))) + np.mean(np.abs(np.diff(y, axis=1))))

    reference = energy(hr)
    return float("nan") if reference == 0 else energy(sr) / reference
