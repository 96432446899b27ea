"""Downloads of a result in each output format (Result.OutputFormat), converted once by the engine's
writer (which carries the original's metadata: ICC profile, EXIF, DPI) and cached in storage."""

from __future__ import annotations

from PIL import Image

from upscaler import engine
from upscaler.integrations import engine_provider
from upscaler.models import Result, format_extension
from upscaler.services.derived_files import derived_file_ensure

OutputFormat = Result.OutputFormat
# Quality of lossy downloads: visually transparent, so the comparison stays honest.
LOSSY_QUALITY = 92


def download_name(result: Result, fmt: str) -> str:
    return f"downloads/{result.submission_id}/{result.id}.{format_extension(fmt)}"


def download_names(*, results) -> list[str]:
    """Every cached download these results may have (for deletion)."""
    return [download_name(result, fmt) for result in results for fmt in OutputFormat.values]


def result_download_ensure(*, result: Result, fmt: str) -> str:
    """The storage name of `result`'s output in `fmt` (an OutputFormat value), converting it
    the first time. The stored output itself is used when it already has that format."""
    if fmt not in OutputFormat.values:
        raise ValueError(f"format must be one of {OutputFormat.values}, got {fmt!r}")
    if result.status != Result.Status.SUCCEEDED:
        raise ValueError("only a succeeded result can be downloaded")
    if fmt == result.output_format:
        return result.output.name
    name = download_name(result, fmt)

    def write(fileobj) -> None:
        with result.submission.original.open("rb") as fh:
            source = engine_provider.read_image(fh)  # for its metadata
        with result.output.open("rb") as fh, Image.open(fh) as image:
            image.load()
            engine.write_image(image, fileobj, format=fmt.upper(), quality=LOSSY_QUALITY, source=source)

    return derived_file_ensure(name=name, write=write)
