"""Copies of the original for viewers: the bicubic reference (the original enlarged to the
result's size, what the result is compared against) and the public original (what the gallery
shows instead of the uploaded file). Made lazily, cached; Pillow only (no torch).
"""

from __future__ import annotations

from PIL import Image

from upscaler import engine
from upscaler.integrations import engine_provider
from upscaler.models import Result, Submission
from upscaler.services.derived_files import derived_file_ensure


def reference_name(result: Result) -> str:
    return f"references/{result.submission_id}_x{result.scale}_bicubic.png"


def public_original_name(submission: Submission) -> str:
    return f"public/{submission.id}.png"


def submission_public_original_ensure(*, submission: Submission) -> str:
    """The original as the public sees it: the decoded pixels (orientation applied) re-encoded as
    PNG with no metadata at all, so no GPS, serial number or editing history of the uploaded file
    reaches a gallery visitor, and no byte of it either (a polyglot stays behind)."""

    def write(fileobj) -> None:
        with submission.original.open("rb") as fh:
            source = engine_provider.read_image(fh)
        engine.write_image(source.image, fileobj, format="PNG")

    return derived_file_ensure(name=public_original_name(submission), write=write)


def result_reference_ensure(*, result: Result) -> str:
    """Return the storage name of the bicubic reference for a succeeded result, making it once."""
    if result.status != Result.Status.SUCCEEDED:
        raise ValueError("a reference is only made for a succeeded result")
    size = (result.output_width, result.output_height)

    def write(fileobj) -> None:  # only when not cached yet: decoding the original is the cost
        with result.submission.original.open("rb") as fh:
            source = engine_provider.read_image(fh)
        engine.write_image(source.image.resize(size, Image.Resampling.BICUBIC), fileobj,
                           format="PNG", source=source)

    return derived_file_ensure(name=reference_name(result), write=write)
