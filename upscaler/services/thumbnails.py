"""Small previews of originals and outputs (for the review admin and the gallery), made lazily
and cached in storage under thumbnails/<submission id>/. Pillow only, no torch."""

from __future__ import annotations

from PIL import Image

from upscaler.integrations import engine_provider
from upscaler.models import Result, Submission
from upscaler.services.derived_files import derived_file_ensure

# The longest side of a thumbnail, in pixels (the admin list shows them at half this).
THUMBNAIL_SIZE = 160


def thumbnail_names(*, submission: Submission, result_ids) -> list[str]:
    """Every thumbnail name a submission and its results may have (for deletion)."""
    return [_name(submission.id, "original")] + [_name(submission.id, rid) for rid in result_ids]


def submission_thumbnail_ensure(*, submission: Submission) -> str:
    def write(fileobj) -> None:  # only when not cached yet: decoding the original is the cost
        with submission.original.open("rb") as fh:
            # The engine's reader applies EXIF orientation and normalises the mode.
            _encode(engine_provider.read_image(fh).image, fileobj)

    return derived_file_ensure(name=_name(submission.id, "original"), write=write)


def result_thumbnail_ensure(*, result: Result) -> str:
    if result.status != Result.Status.SUCCEEDED:
        raise ValueError("a thumbnail is only made for a succeeded result")

    def write(fileobj) -> None:
        with result.output.open("rb") as fh, Image.open(fh) as image:
            image.draft("RGB", (THUMBNAIL_SIZE, THUMBNAIL_SIZE))
            _encode(image, fileobj)

    return derived_file_ensure(name=_name(result.submission_id, result.id), write=write)


def _name(submission_id, key) -> str:
    return f"thumbnails/{submission_id}/{key}.png"


def _encode(image: Image.Image, fileobj) -> None:
    thumb = image.copy()
    thumb.thumbnail((THUMBNAIL_SIZE, THUMBNAIL_SIZE), Image.Resampling.LANCZOS)
    if thumb.mode not in ("RGB", "RGBA", "L", "LA"):
        thumb = thumb.convert("RGBA" if "A" in thumb.getbands() else "RGB")
    thumb.save(fileobj, "PNG", optimize=True)
