"""The bicubic reference: the original enlarged to the result's size, made lazily and cached.

Pillow only (no torch), so that the web process can make it. It is what the result is
compared against on the submission page, so it must be a real resampled image.
"""

from __future__ import annotations

from PIL import Image

from upscaler import engine
from upscaler.integrations import engine_provider
from upscaler.models import Result
from upscaler.services.derived_files import derived_file_ensure


def reference_name(result: Result) -> str:
    return f"references/{result.submission_id}_x{result.scale}_bicubic.png"


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
