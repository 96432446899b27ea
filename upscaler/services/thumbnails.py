"""Small previews of originals and outputs (for the review admin and the gallery), made lazily
and cached in storage under thumbnails/<submission id>/. Pillow only, no torch."""

from __future__ import annotations

import io

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import Image

from upscaler.integrations import engine_provider
from upscaler.models import Result, Submission

# The longest side of a thumbnail, in pixels (the admin list shows them at half this).
THUMBNAIL_SIZE = 160


def thumbnail_names(*, submission: Submission, result_ids) -> list[str]:
    """Every thumbnail name a submission and its results may have (for deletion)."""
    return [_name(submission.id, "original")] + [_name(submission.id, rid) for rid in result_ids]


def submission_thumbnail_ensure(*, submission: Submission) -> str:
    name = _name(submission.id, "original")
    if default_storage.exists(name):
        return name
    with submission.original.open("rb") as fh:
        # The engine's reader applies EXIF orientation and normalises the mode.
        image = engine_provider.read_image(fh).image
    return _save(name, image)


def result_thumbnail_ensure(*, result: Result) -> str:
    if result.status != Result.Status.SUCCEEDED:
        raise ValueError("a thumbnail is only made for a succeeded result")
    name = _name(result.submission_id, result.id)
    if default_storage.exists(name):
        return name
    with result.output.open("rb") as fh, Image.open(fh) as image:
        image.draft("RGB", (THUMBNAIL_SIZE, THUMBNAIL_SIZE))
        return _save(name, image)


def _name(submission_id, key) -> str:
    return f"thumbnails/{submission_id}/{key}.png"


def _save(name: str, image: Image.Image) -> str:
    thumb = image.copy()
    thumb.thumbnail((THUMBNAIL_SIZE, THUMBNAIL_SIZE), Image.Resampling.LANCZOS)
    if thumb.mode not in ("RGB", "RGBA", "L", "LA"):
        thumb = thumb.convert("RGBA" if "A" in thumb.getbands() else "RGB")
    buf = io.BytesIO()
    thumb.save(buf, "PNG", optimize=True)
    saved = default_storage.save(name, ContentFile(buf.getvalue()))
    if saved != name:
        # Another request made it meanwhile; keep theirs.
        default_storage.delete(saved)
    return name
