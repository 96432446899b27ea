"""The bicubic reference: the original enlarged to the result's size, made lazily and cached.

Pillow only (no torch), so that the web process can make it. It is what the result is
compared against on the submission page, so it must be a real resampled image.
"""

from __future__ import annotations

import tempfile

from django.core.files import File
from django.core.files.storage import default_storage
from PIL import Image

from upscaler import engine, engine_provider
from upscaler.models import Result

SPOOL_BYTES = 64 * 1024 * 1024


def reference_name(result: Result) -> str:
    return f"references/{result.submission_id}_x{result.scale}_bicubic.png"


def result_reference_ensure(*, result: Result) -> str:
    """Return the storage name of the bicubic reference for a succeeded result, making it once."""
    if result.status != Result.Status.SUCCEEDED:
        raise ValueError("a reference is only made for a succeeded result")
    name = reference_name(result)
    if default_storage.exists(name):
        return name
    with result.submission.original.open("rb") as fh:
        source = engine_provider.read_image(fh)
    size = (result.output_width, result.output_height)
    enlarged = source.image.resize(size, Image.Resampling.BICUBIC)
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as tmp:
        engine.write_image(enlarged, tmp, format="PNG", source=source)
        tmp.seek(0)
        try:
            saved = default_storage.save(name, File(tmp, name=name))
        except BaseException:
            if default_storage.exists(name):
                default_storage.delete(name)
            raise
    if saved != name:
        # Another request made it meanwhile; keep theirs.
        default_storage.delete(saved)
    return name
