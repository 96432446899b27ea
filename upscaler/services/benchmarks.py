"""Benchmark mode: a high-resolution photo is the ground truth; the service downsamples it by
the scale (Pillow bicubic, as training does), upscales that, and scores the result and the
bicubic reference against the ground truth (luma PSNR and SSIM, as SR papers report them).

The downsampled image is stored as the submission's `original`, so the normal job, reference,
thumbnail and download paths all work unchanged; the ground truth is stored beside it.
"""

from __future__ import annotations

import io
import logging
import math

import numpy as np
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from upscaler.integrations import engine_provider
from upscaler.models import Result, Submission
from upscaler.services.submissions import submission_create, upload_decode

logger = logging.getLogger(__name__)

# The downsampled input must keep some detail to be worth upscaling (and SSIM's 11x11 window
# needs room after the border is shaved).
MIN_INPUT_SIDE = 16
# Identical images have an infinite PSNR; store a finite ceiling instead (every database
# column and JSON encoder handles it).
PSNR_CEILING_DB = 100.0


def _rgb8(image: Image.Image) -> Image.Image:
    """Any working mode -> 8-bit RGB; transparency is flattened onto white like a page."""
    if image.mode in ("I;16", "I"):
        image = Image.fromarray((np.asarray(image, dtype=np.uint32) // 257).astype(np.uint8), "L")
    if image.mode in ("RGBA", "LA"):
        background = Image.new("RGBA", image.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, image.convert("RGBA")).convert("RGB")
    return image.convert("RGB")


def _png_upload(image: Image.Image, name: str) -> SimpleUploadedFile:
    buf = io.BytesIO()
    image.save(buf, "PNG")
    return SimpleUploadedFile(name, buf.getvalue(), "image/png")


def benchmark_create(
    *, owner, session_key: str | None, upload, scale: int, model_name: str, **kwargs
) -> Submission:
    """Store `upload` (a high-resolution photo) as ground truth and queue the upscaling of its
    downsampled copy. Invalid input raises ValidationError (with a code), leaving nothing."""
    source = upload_decode(upload)
    # Crop to a multiple of the scale so that the upscaled result is exactly the ground
    # truth's size (what the training evaluation does too).
    width, height = source.width - source.width % scale, source.height - source.height % scale
    if min(width, height) // scale < MIN_INPUT_SIDE:
        raise ValidationError(
            f"For a ×{scale} benchmark the photo needs at least {MIN_INPUT_SIDE * scale} pixels on "
            f"its shorter side (this one is {min(source.width, source.height)}).",
            code="too_small",
        )
    truth = _rgb8(source.image).crop((0, 0, width, height))
    small = truth.resize((width // scale, height // scale), Image.Resampling.BICUBIC)
    return submission_create(
        owner=owner,
        session_key=session_key,
        upload=_png_upload(small, "input.png"),
        scale=scale,
        model_name=model_name,
        kind=Submission.Kind.BENCHMARK,
        ground_truth=_png_upload(truth, "ground-truth.png"),
        **kwargs,
    )


def _metric(value: float) -> float:
    return PSNR_CEILING_DB if math.isinf(value) else min(value, PSNR_CEILING_DB)


def benchmark_metrics_compute(*, result: Result, image: Image.Image) -> dict[str, float]:
    """Y-PSNR and SSIM of `image` (the job's output) and of the bicubic enlargement of the
    input, both against the ground truth, as Result field values.

    Runs in the job (worker side): the metrics module imports torch, which web processes never
    load. The bicubic enlargement is made exactly like the bicubic reference the page shows.
    """
    from upscaler.engine.metrics import psnr_y, ssim_y  # scikit-image: job side only

    submission = result.submission
    with submission.ground_truth.open("rb") as fh, Image.open(fh) as gt:
        truth = np.asarray(gt.convert("RGB"))
    with submission.original.open("rb") as fh:
        small = engine_provider.read_image(fh).image
    bicubic = np.asarray(_rgb8(small.resize(image.size, Image.Resampling.BICUBIC)))
    ours = np.asarray(_rgb8(image))
    if ours.shape != truth.shape:
        raise ValueError(f"output {ours.shape} does not match the ground truth {truth.shape}")
    border = result.scale  # the usual convention: shave `scale` pixels off each edge
    return {
        "psnr_y": _metric(psnr_y(ours, truth, border=border)),
        "ssim_y": float(ssim_y(ours, truth, border=border)),
        "bicubic_psnr_y": _metric(psnr_y(bicubic, truth, border=border)),
        "bicubic_ssim_y": float(ssim_y(bicubic, truth, border=border)),
    }
