"""Writing results with Pillow: PNG, WebP, JPEG or TIFF, carrying the source's metadata. Torch-free.

`write_image` saves a result with the source's ICC profile (when it fits the output's colour
space), EXIF (orientation reset, pixel sizes and resolution scaled) and DPI (scaled, so the print
size stays).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

import numpy as np
from PIL import Image
from PIL.ExifTags import IFD, Base

from upscaler.engine.imageio.pixels import WORKING_MODES, flatten_alpha, to_8bit

if TYPE_CHECKING:
    from upscaler.engine.imageio.source import SourceImage

logger = logging.getLogger(__name__)

OUTPUT_FORMATS = ("PNG", "WEBP", "JPEG", "TIFF")


def write_image(
    image: Image.Image,
    fileobj: BinaryIO | str | os.PathLike,
    *,
    format: str = "PNG",
    quality: int = 95,
    source: SourceImage | None = None,
    keep_private_metadata: bool = False,
) -> None:
    """Save `image` as PNG, WebP, JPEG (or TIFF), carrying the source's metadata when given:
    ICC, DPI and EXIF, without where the photo was taken (GPS) and the serial numbers of camera
    and lens unless `keep_private_metadata` (the uploader's explicit choice)."""
    fmt = format.upper().replace("JPG", "JPEG")
    if fmt not in OUTPUT_FORMATS:
        raise ValueError(f"format must be one of {OUTPUT_FORMATS}, got {format!r}")
    image = _fit_format(image, fmt)
    params: dict = {}
    if fmt in ("JPEG", "WEBP"):
        params["quality"] = int(quality)
    if fmt == "PNG":
        params["compress_level"] = 6
    if source is not None:
        params.update(_carried_metadata(source, image, keep_private_metadata))
    if isinstance(fileobj, (str, os.PathLike)):
        Path(fileobj).parent.mkdir(parents=True, exist_ok=True)
    image.save(fileobj, format=fmt, **params)


def _carried_metadata(source: SourceImage, image: Image.Image, keep_private: bool) -> dict:
    """Pillow save parameters for the source's ICC, DPI and EXIF, adjusted to the new size."""
    params: dict = {}
    factor = image.width / source.width
    icc = source.icc_profile
    if icc and _icc_matches(icc, image.mode):
        params["icc_profile"] = icc
    if source.dpi:
        params["dpi"] = (source.dpi[0] * factor, source.dpi[1] * factor)
    if source.exif:
        exif = _rewrite_exif(source.exif, image.size, factor, keep_private)
        if exif:
            params["exif"] = exif
    return params


def _fit_format(image: Image.Image, fmt: str) -> Image.Image:
    mode = image.mode
    if fmt in ("JPEG", "WEBP") and mode == "I;16":
        image = Image.fromarray(to_8bit(np.asarray(image)))
        mode = "L"
    if fmt == "JPEG" and mode in ("LA", "RGBA"):
        image = flatten_alpha(image)
    elif fmt == "WEBP" and mode in ("L", "LA"):
        image = image.convert("RGBA" if mode == "LA" else "RGB")
    elif mode not in WORKING_MODES:
        image = image.convert("RGBA" if "A" in mode else "RGB")
    return image


def _icc_matches(icc: bytes, mode: str) -> bool:
    """An ICC profile is only valid on an image of its own colour space (bytes 16-20)."""
    space = icc[16:20] if len(icc) >= 20 else b""
    if mode in ("L", "LA", "I;16"):
        return space == b"GRAY"
    return space == b"RGB "


#: EXIF tags that identify a person or a device: who shot it, and the serial numbers of body and
#: lens (a camera's serial ties every photo it took together); MakerNote is the maker's private
#: block, where several makers store the serial too. GPS (its own IFD) goes with them.
PRIVATE_TAGS = (Base.BodySerialNumber, Base.CameraOwnerName, Base.LensSerialNumber, Base.CameraSerialNumber,
                Base.ImageUniqueID, Base.MakerNote)


def _rewrite_exif(data: bytes, size: tuple[int, int], factor: float, keep_private: bool = False) -> bytes | None:
    try:
        exif = Image.Exif()
        exif.load(data)
        exif[Base.Orientation] = 1
        if not keep_private:
            exif.pop(IFD.GPSInfo, None)
            for tag in PRIVATE_TAGS:
                exif.pop(tag, None)
                exif.get_ifd(IFD.Exif).pop(tag, None)
        for tag in (Base.XResolution, Base.YResolution):
            if tag in exif:
                exif[tag] = float(exif[tag]) * factor
        sub = exif.get_ifd(IFD.Exif)
        if sub:
            if Base.ExifImageWidth in sub:
                sub[Base.ExifImageWidth] = size[0]
            if Base.ExifImageHeight in sub:
                sub[Base.ExifImageHeight] = size[1]
        return exif.tobytes()
    except Exception:
        logger.warning("EXIF could not be carried over; dropped", exc_info=True)
        return None
