"""Downloads of a result in another format (PNG, WebP, JPEG), converted once by the engine's
writer (which carries the original's metadata: ICC profile, EXIF, DPI) and cached in storage."""

from __future__ import annotations

import tempfile

from django.core.files import File
from django.core.files.storage import default_storage
from PIL import Image

from upscaler import engine, engine_provider
from upscaler.models import Result, format_extension

SPOOL_BYTES = 64 * 1024 * 1024
CONTENT_TYPES = {"png": "image/png", "webp": "image/webp", "jpeg": "image/jpeg"}
FORMATS = tuple(CONTENT_TYPES)
# Quality of lossy downloads: visually transparent, so the comparison stays honest.
LOSSY_QUALITY = 92


def download_name(result: Result, fmt: str) -> str:
    return f"downloads/{result.submission_id}/{result.id}.{format_extension(fmt)}"


def download_names(*, result_ids, submission_id) -> list[str]:
    """Every cached download a submission's results may have (for deletion)."""
    return [
        f"downloads/{submission_id}/{rid}.{format_extension(fmt)}" for rid in result_ids for fmt in FORMATS
    ]


def result_download_ensure(*, result: Result, fmt: str) -> str:
    """The storage name of `result`'s output in `fmt` ("png", "webp" or "jpeg"), converting it
    the first time. The stored output itself is used when it already has that format."""
    if fmt not in CONTENT_TYPES:
        raise ValueError(f"format must be one of {FORMATS}, got {fmt!r}")
    if result.status != Result.Status.SUCCEEDED:
        raise ValueError("only a succeeded result can be downloaded")
    if fmt == result.output_format:
        return result.output.name
    name = download_name(result, fmt)
    if default_storage.exists(name):
        return name
    with result.submission.original.open("rb") as fh:
        source = engine_provider.read_image(fh)  # for its metadata
    with result.output.open("rb") as fh, Image.open(fh) as image:
        image.load()
        with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as tmp:
            engine.write_image(image, tmp, format=fmt.upper(), quality=LOSSY_QUALITY, source=source)
            tmp.seek(0)
            try:
                saved = default_storage.save(name, File(tmp, name=name))
            except BaseException:
                if default_storage.exists(name):
                    default_storage.delete(name)
                raise
    if saved != name:
        # Another request converted it meanwhile; keep theirs.
        default_storage.delete(saved)
    return name
