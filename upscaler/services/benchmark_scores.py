"""Benchmark scoring: Y-PSNR and SSIM of a job's output and of bicubic against the ground truth.

Measured in the job; services/benchmarks.py creates the benchmark.
"""

from __future__ import annotations

import math

import numpy as np
from PIL import Image

from upscaler.engine.imageio import to_rgb8
from upscaler.integrations import engine_provider
from upscaler.models import Result

# Identical images have an infinite PSNR; store a finite ceiling instead (every database
# column and JSON encoder handles it).
PSNR_CEILING_DB = 100.0


def _metric(value: float) -> float:
    return PSNR_CEILING_DB if math.isinf(value) else min(value, PSNR_CEILING_DB)


def benchmark_metrics_compute(*, result: Result, image: Image.Image) -> dict[str, float]:
    """Y-PSNR and SSIM of `image` (the job's output) and of the bicubic enlargement of the
    input, both against the ground truth, as Result field values.

    Both are reduced to 8-bit RGB by the engine's `to_rgb8`, the conversion the ground truth was
    stored with and the writer's own (16-bit rounded, transparency on white). The bicubic
    enlargement is made exactly like the bicubic reference the page shows.
    """
    # scikit-image loads where a benchmark is scored (the job), not wherever this module is imported.
    from upscaler.engine.metrics import psnr_y, ssim_y

    submission = result.submission
    with submission.ground_truth.open("rb") as fh, Image.open(fh) as gt:
        truth = np.asarray(gt.convert("RGB"))
    with submission.original.open("rb") as fh:
        small = engine_provider.read_image(fh).image
    bicubic = np.asarray(to_rgb8(small.resize(image.size, Image.Resampling.BICUBIC)))
    ours = np.asarray(to_rgb8(image))
    if ours.shape != truth.shape:
        raise ValueError(f"output {ours.shape} does not match the ground truth {truth.shape}")
    border = result.scale  # the usual convention: shave `scale` pixels off each edge
    return {
        "psnr_y": _metric(psnr_y(ours, truth, border=border)),
        "ssim_y": float(ssim_y(ours, truth, border=border)),
        "bicubic_psnr_y": _metric(psnr_y(bicubic, truth, border=border)),
        "bicubic_ssim_y": float(ssim_y(bicubic, truth, border=border)),
    }
