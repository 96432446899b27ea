"""Reading images with Pillow, faithfully: format, first frame, EXIF orientation, ICC, alpha, depth.

Torch-free. `read_image` turns bytes into a `SourceImage` whose `image` is in one of the working
modes L, LA, RGB, RGBA or I;16 (16-bit grey), and keeps the metadata the writer carries over.
"""

from __future__ import annotations

import io
import logging
import os
import struct
import warnings
from pathlib import Path
from typing import BinaryIO

import numpy as np
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError
from PIL.ExifTags import Base

from upscaler.engine.config import DEFAULT_MAX_INPUT_PIXELS, INPUT_FORMATS, input_formats_text
from upscaler.engine.errors import ImageTooLargeError, UnsupportedImageError
from upscaler.engine.imageio.pixels import WORKING_MODES
from upscaler.engine.imageio.source import SourceImage

logger = logging.getLogger(__name__)

#: TIFF layout tags: TIFF files expose their own IFD as "EXIF", and carrying these to a new file
#: would describe the old pixels (sizes, strips, compression, sample format) or duplicate ICC.
TIFF_LAYOUT_TAGS = frozenset({
    Base.NewSubfileType, Base.ImageWidth, Base.ImageLength, Base.BitsPerSample, Base.Compression,
    Base.PhotometricInterpretation, Base.StripOffsets, Base.SamplesPerPixel, Base.RowsPerStrip,
    Base.StripByteCounts, Base.PlanarConfiguration, Base.Predictor, Base.ColorMap, Base.TileWidth,
    Base.TileLength, Base.TileOffsets, Base.TileByteCounts, Base.ExtraSamples, Base.SampleFormat,
    Base.JPEGTables, Base.YCbCrCoefficients, Base.YCbCrSubSampling, Base.YCbCrPositioning,
    Base.InterColorProfile,
})

# Modes Pillow decodes that map onto a working mode by a plain conversion.
_PLAIN_CONVERSIONS = {
    "1": "L",
    "La": "LA",
    "RGBX": "RGB",
    "RGBa": "RGBA",
    "YCbCr": "RGB",
    "LAB": "RGB",
    "HSV": "RGB",
    "PA": "RGBA",
}


#: Pillow's own bomb limit as it came (89.5 MP): it stays the ceiling when a deployment sets a
#: budget above it.
PILLOW_MAX_IMAGE_PIXELS = Image.MAX_IMAGE_PIXELS

# Exceptions Pillow's plugins raise on some corrupt files besides their documented ones.
_DECODER_BUGS = (AttributeError, IndexError, KeyError, TypeError, ZeroDivisionError, struct.error)


def read_image(
    src: BinaryIO | str | os.PathLike | bytes, *, max_pixels: int = DEFAULT_MAX_INPUT_PIXELS
) -> SourceImage:
    """Decode an image (file object, path or bytes) and normalise it for upscaling."""
    try:
        if isinstance(src, (str, os.PathLike)):
            # Read it all: the decoded image must outlive the file (animated files keep it open).
            src = Path(src).read_bytes()
        if isinstance(src, (bytes, bytearray, memoryview)):
            src = io.BytesIO(bytes(src))
        # Pillow's own limit is the service's budget, so that a decoder that allocates before we
        # see a size (a nested image, a plugin that loads on open) is bounded by it too.
        Image.MAX_IMAGE_PIXELS = min(max_pixels, PILLOW_MAX_IMAGE_PIXELS)
        with warnings.catch_warnings():
            # Pillow only warns between 1× and 2× its MAX_IMAGE_PIXELS: make that an error too.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            return _decode(Image.open(src, formats=tuple(INPUT_FORMATS)), max_pixels)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageTooLargeError(f"The image is too large to process safely ({exc}).") from exc
    except UnidentifiedImageError as exc:
        raise UnsupportedImageError(
            f"The file is empty or not an image in a supported format ({input_formats_text()})."
        ) from exc
    except (FileNotFoundError, IsADirectoryError, PermissionError) as exc:
        raise UnsupportedImageError(f"Cannot read {exc.filename}: {exc.strerror}") from exc
    except (OSError, ValueError, SyntaxError, EOFError) as exc:  # Pillow's decoders use all four
        raise UnsupportedImageError(f"The image file is truncated or corrupt ({exc}).") from exc
    except _DECODER_BUGS as exc:
        # Pillow's plugins sometimes fail on corrupt input with an unplanned exception
        # (found by upscaler/tests/engine/test_decode_fuzz.py): still the uploader's bad file.
        logger.warning("decoder failed on a corrupt file: %r", exc)
        raise UnsupportedImageError("The image file is corrupt.") from exc


def _decode(img: Image.Image, max_pixels: int) -> SourceImage:
    notes: list[str] = []
    width, height = img.size
    if width * height > max_pixels:
        raise ImageTooLargeError(
            f"The image is {width}×{height} = {width * height / 1e6:.1f} MP; "
            f"the limit is {max_pixels / 1e6:.1f} MP."
        )
    if width < 1 or height < 1:
        raise UnsupportedImageError("The image has no pixels.")
    # Never count frames: n_frames walks every page (quadratic in a TIFF's page count, minutes
    # for a 25 MB file of tiny pages); is_animated looks at the second page at most.
    if getattr(img, "is_animated", False):
        img.seek(0)
        notes.append("animated or multi-page: first frame used")
    fmt = img.format
    img.load()
    decoded_mode = img.mode
    if fmt == "PNG" and decoded_mode == "RGB" and _png_bit_depth(img) == 16:
        notes.append("16-bit colour PNG: Pillow decodes it to 8 bits per channel")
    icc = img.info.get("icc_profile") or None
    dpi = _dpi(img)
    exif, img = _apply_orientation(img, notes)
    img, icc = _to_working_mode(img, icc, notes)
    return SourceImage(
        image=img,
        format=fmt,
        width=img.width,
        height=img.height,
        mode=decoded_mode,
        icc_profile=icc,
        exif=exif,
        dpi=dpi,
        has_alpha=img.mode in ("LA", "RGBA"),
        bit_depth=16 if img.mode == "I;16" else 8,
        notes=notes,
    )


def _png_bit_depth(img: Image.Image) -> int:
    png = getattr(img, "png", None)
    im_info = getattr(png, "im_info", None) or {}
    # Pillow keeps the raw mode it decoded from; "RGB;16B" means 16 bits per channel.
    rawmode = getattr(png, "im_rawmode", "") or ""
    return 16 if rawmode.endswith(";16B") or im_info.get("bits") == 16 else 8


def _dpi(img: Image.Image) -> tuple[float, float] | None:
    dpi = img.info.get("dpi")
    try:
        x, y = (float(v) for v in dpi)
    except (TypeError, ValueError):
        return None
    return (x, y) if x > 0 and y > 0 else None


def _apply_orientation(img: Image.Image, notes: list[str]) -> tuple[bytes | None, Image.Image]:
    try:
        exif = img.getexif()
    except Exception:  # malformed EXIF is common in the wild; the pixels are still good
        logger.warning("unreadable EXIF ignored", exc_info=True)
        return None, img
    orientation = exif.get(Base.Orientation, 1)
    if orientation not in (1, None):
        img = ImageOps.exif_transpose(img)
        notes.append(f"EXIF orientation {orientation} applied")
    for tag in TIFF_LAYOUT_TAGS & set(exif):
        del exif[tag]
    if not len(exif):
        return None, img
    if Base.Orientation in exif:
        exif[Base.Orientation] = 1
    try:
        return exif.tobytes(), img
    except Exception:
        logger.warning("EXIF could not be re-encoded; dropped", exc_info=True)
        return None, img


def _to_working_mode(img: Image.Image, icc: bytes | None, notes: list[str]) -> tuple[Image.Image, bytes | None]:
    mode = img.mode
    if mode in WORKING_MODES:
        return img, icc
    if mode in ("I;16B", "I;16L", "I;16N"):
        return Image.fromarray(np.asarray(img).astype(np.uint16)), icc
    if mode == "I":
        values = np.asarray(img)
        if values.min() < 0 or values.max() > 0xFFFF:
            raise UnsupportedImageError("32-bit integer images are not supported.")
        return Image.fromarray(values.astype(np.uint16)), icc
    if mode == "F":
        raise UnsupportedImageError("Floating-point images are not supported.")
    if mode == "P":
        if img.palette is None:  # a PNG of colour type 3 with no PLTE chunk
            raise UnsupportedImageError("The image is corrupt: a palette image without its palette.")
        has_transparency = "transparency" in img.info or img.palette.mode == "RGBA"
        target = "RGBA" if has_transparency else "RGB"
        notes.append(f"palette image converted to {target}")
        return img.convert(target), icc
    if mode == "CMYK":
        return _cmyk_to_rgb(img, icc, notes)
    if mode in _PLAIN_CONVERSIONS:
        target = _PLAIN_CONVERSIONS[mode]
        notes.append(f"{mode} image converted to {target}")
        return img.convert(target), icc if mode in ("RGBX", "RGBa", "La", "1") else None
    raise UnsupportedImageError(f"Images in mode {mode} are not supported.")


def _cmyk_to_rgb(img: Image.Image, icc: bytes | None, notes: list[str]) -> tuple[Image.Image, bytes | None]:
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
    if icc:
        try:
            source_profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            rgb = ImageCms.profileToProfile(
                img, source_profile, srgb, renderingIntent=ImageCms.Intent.PERCEPTUAL, outputMode="RGB"
            )
            notes.append("CMYK image converted to sRGB with its embedded profile")
            return rgb, srgb.tobytes()
        except (ImageCms.PyCMSError, OSError):
            logger.warning("CMYK profile unusable; naive conversion", exc_info=True)
    notes.append("CMYK image converted to RGB (no usable profile)")
    return img.convert("RGB"), None
