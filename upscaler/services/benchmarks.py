"""Benchmark mode: a high-resolution photo is the ground truth; the service downsamples it by
the scale (Pillow bicubic, as training does), upscales that, and scores the result and the
bicubic reference against the ground truth (services/benchmark_scores.py, in the job).

The downsampled image is stored as the submission's `original`, so the normal job, reference,
thumbnail and download paths all work unchanged; the ground truth is stored beside it.
"""

from __future__ import annotations

import io

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from upscaler.engine.imageio import to_rgb8
from upscaler.models import Submission
from upscaler.services.model_choice import model_choose_for_benchmark
from upscaler.services.submissions import submission_create, upload_decode

# The downsampled input must keep some detail to be worth upscaling (and SSIM's 11x11 window
# needs room after the border is shaved).
MIN_INPUT_SIDE = 16


def _png_upload(image: Image.Image, name: str) -> SimpleUploadedFile:
    buf = io.BytesIO()
    image.save(buf, "PNG")
    return SimpleUploadedFile(name, buf.getvalue(), "image/png")


def benchmark_create(
    *, owner, session_key: str | None, upload, scale: int, model_name: str | None = None, **kwargs
) -> Submission:
    """Store `upload` (a high-resolution photo) as ground truth and queue the upscaling of its
    downsampled copy. Invalid input raises ValidationError (with a code), leaving nothing.
    With no `model_name`, the clean model: the input is a bicubic shrink, whatever the photo's
    own provenance."""
    reason = ""
    if not model_name:
        choice = model_choose_for_benchmark(scale=scale)
        model_name, reason = choice.name, choice.reason
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
    # 8-bit RGB as the writer would save it: the scorer reduces the output the same way.
    truth = to_rgb8(source.image).crop((0, 0, width, height))
    small = truth.resize((width // scale, height // scale), Image.Resampling.BICUBIC)
    return submission_create(
        owner=owner,
        session_key=session_key,
        upload=_png_upload(small, "input.png"),
        scale=scale,
        model_name=model_name,
        model_choice_reason=reason,
        kind=Submission.Kind.BENCHMARK,
        ground_truth=_png_upload(truth, "ground-truth.png"),
        **kwargs,
    )
