"""Reading and writing images with Pillow, faithfully: orientation, colour profile, alpha, depth.

Torch-free. `read_image` turns bytes into a `SourceImage` whose `image` is in one of the working
modes L, LA, RGB, RGBA or I;16 (16-bit grey); `to_planes` and `colour_to_output` convert between
that and the float arrays of the upscalers; `write_image` saves a result carrying the source's ICC profile,
EXIF (orientation reset, sizes and resolution scaled) and DPI (scaled, so the print size stays).
"""

from __future__ import annotations

import io
import logging
import os
import struct
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import numpy as np
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

from upscaler.engine.config import DEFAULT_MAX_INPUT_PIXELS
from upscaler.engine.errors import ImageTooLargeError, UnsupportedImageError

logger = logging.getLogger(__name__)

WORKING_MODES = ("L", "LA", "RGB", "RGBA", "I;16")
OUTPUT_FORMATS = ("PNG", "WEBP", "JPEG", "TIFF")

# EXIF tags we rewrite on output.
EXIF_ORIENTATION = 0x0112
EXIF_X_RESOLUTION = 0x011A
EXIF_Y_RESOLUTION = 0x011B
EXIF_IFD = 0x8769
EXIF_PIXEL_X_DIMENSION = 0xA002
EXIF_PIXEL_Y_DIMENSION = 0xA003

#: TIFF layout tags: TIFF files expose their own IFD as "EXIF", and carrying these to a new file
#: would describe the old pixels (sizes, strips, compression, sample format) or duplicate ICC.
_TIFF_LAYOUT_TAGS = frozenset(
    {0x00FE, 0x0100, 0x0101, 0x0102, 0x0103, 0x0106, 0x0111, 0x0115, 0x0116, 0x0117, 0x011C,
     0x013D, 0x0140, 0x0142, 0x0143, 0x0144, 0x0145, 0x0152, 0x0153, 0x015B, 0x0211, 0x0212,
     0x0213, 0x8773}
)

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


# Exceptions Pillow's plugins raise on some corrupt files besides their documented ones.
_DECODER_BUGS = (AttributeError, IndexError, KeyError, TypeError, ZeroDivisionError, struct.error)


@dataclass
class SourceImage:
    image: Image.Image  # oriented, first frame, in a working mode (see WORKING_MODES)
    format: str | None  # as detected by Pillow ("PNG", "JPEG", ...)
    width: int
    height: int
    mode: str  # the mode of the file as decoded, before conversion to a working mode
    icc_profile: bytes | None
    exif: bytes | None  # orientation reset to 1, since `image` is already upright
    dpi: tuple[float, float] | None
    has_alpha: bool
    bit_depth: int  # 8 or 16 per channel
    notes: list[str] = field(default_factory=list)


@dataclass
class Planes:
    """Float view of a source for the upscalers.

    colour: H×W×3 float32 in [0, 1], premultiplied by alpha when there is one (so that
    transparent pixels, whatever colour they hide, cannot bleed dark fringes into edges).
    alpha: H×W float32 in [0, 1] or None. Grey images carry their grey in all three channels.
    """

    colour: np.ndarray
    alpha: np.ndarray | None
    gray: bool
    bit_depth: int


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
        with warnings.catch_warnings():
            # Pillow only warns between 1× and 2× its MAX_IMAGE_PIXELS: make that an error too.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            return _decode(Image.open(src), max_pixels)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageTooLargeError(f"The image is too large to process safely ({exc}).") from exc
    except UnidentifiedImageError as exc:
        raise UnsupportedImageError("The file is empty or not an image in a supported format.") from exc
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
    frames = getattr(img, "n_frames", 1)
    if frames > 1:
        img.seek(0)
        notes.append(f"animated: first frame used ({frames} frames)")
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
    orientation = exif.get(EXIF_ORIENTATION, 1)
    if orientation not in (1, None):
        img = ImageOps.exif_transpose(img)
        notes.append(f"EXIF orientation {orientation} applied")
    for tag in _TIFF_LAYOUT_TAGS & set(exif):
        del exif[tag]
    if not len(exif):
        return None, img
    if EXIF_ORIENTATION in exif:
        exif[EXIF_ORIENTATION] = 1
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


# -- arrays ------------------------------------------------------------------------------------


def max_value(bit_depth: int) -> int:
    return 0xFFFF if bit_depth == 16 else 0xFF


def to_planes(source: SourceImage) -> Planes:
    img = source.image
    depth = source.bit_depth
    scale = np.float32(1.0 / max_value(depth))
    values = np.asarray(img)
    if values.ndim == 2:
        values = values[:, :, None]
    values = values.astype(np.float32) * scale
    gray = img.mode in ("L", "LA", "I;16")
    n_colour = 1 if gray else 3
    colour = values[:, :, :n_colour]
    alpha = values[:, :, n_colour] if source.has_alpha else None
    if alpha is not None:
        colour = colour * alpha[:, :, None]
    if gray:
        colour = np.repeat(colour, 3, axis=2)
    return Planes(colour=np.ascontiguousarray(colour), alpha=alpha, gray=gray, bit_depth=depth)


def quantize(values: np.ndarray, bit_depth: int) -> np.ndarray:
    """Float [0, 1] → uint8 / uint16, rounded to nearest, clamped."""
    top = max_value(bit_depth)
    out = np.clip(values, 0.0, 1.0) * np.float32(top)
    return np.rint(out, out=out).astype(np.uint16 if bit_depth == 16 else np.uint8)


def colour_to_output(colour: np.ndarray, alpha: np.ndarray | None, *, gray: bool, bit_depth: int) -> np.ndarray:
    """Upscaled H×W×3 premultiplied float colour → H×W×C integer colour (C = 1 for grey).

    Where alpha is (nearly) zero the colour is meaningless; it is set to 0 rather than divided.
    """
    if alpha is not None:
        a = alpha[:, :, None]
        tiny = np.float32(0.5 / max_value(bit_depth))
        colour = np.divide(colour, a, out=np.zeros_like(colour), where=a > tiny)
    if gray:
        colour = colour.mean(axis=2, keepdims=True, dtype=np.float32)
    return quantize(colour, bit_depth)


def resize_bicubic(plane: np.ndarray, scale: int) -> np.ndarray:
    """Pillow's bicubic enlargement of one float32 H×W plane, in float (no 8-bit rounding)."""
    h, w = plane.shape
    img = Image.fromarray(np.ascontiguousarray(plane, dtype=np.float32), "F")
    return np.asarray(img.resize((w * scale, h * scale), Image.Resampling.BICUBIC))


# -- writing -----------------------------------------------------------------------------------


def write_image(
    image: Image.Image,
    fileobj: BinaryIO | str | os.PathLike,
    *,
    format: str = "PNG",
    quality: int = 95,
    source: SourceImage | None = None,
) -> None:
    """Save `image` as PNG, WebP, JPEG (or TIFF), carrying the source's metadata when given."""
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
        factor = image.width / source.width
        icc = source.icc_profile
        if icc and _icc_matches(icc, image.mode):
            params["icc_profile"] = icc
        if source.dpi:
            params["dpi"] = (source.dpi[0] * factor, source.dpi[1] * factor)
        if source.exif:
            exif = _rewrite_exif(source.exif, image.size, factor)
            if exif:
                params["exif"] = exif
    if isinstance(fileobj, (str, os.PathLike)):
        Path(fileobj).parent.mkdir(parents=True, exist_ok=True)
    image.save(fileobj, format=fmt, **params)


def _fit_format(image: Image.Image, fmt: str) -> Image.Image:
    mode = image.mode
    if fmt in ("JPEG", "WEBP") and mode == "I;16":
        image = Image.fromarray((np.asarray(image).astype(np.uint32) * 255 + 32767) // 65535).convert("L")
        mode = "L"
    if fmt == "JPEG" and mode in ("LA", "RGBA"):
        # JPEG has no alpha: flatten onto white, the usual page colour.
        base = Image.new(mode, image.size, (255, 255) if mode == "LA" else (255, 255, 255, 255))
        image = Image.alpha_composite(base.convert("RGBA"), image.convert("RGBA"))
        image = image.convert("L" if mode == "LA" else "RGB")
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


def _rewrite_exif(data: bytes, size: tuple[int, int], factor: float) -> bytes | None:
    try:
        exif = Image.Exif()
        exif.load(data)
        exif[EXIF_ORIENTATION] = 1
        for tag in (EXIF_X_RESOLUTION, EXIF_Y_RESOLUTION):
            if tag in exif:
                exif[tag] = float(exif[tag]) * factor
        sub = exif.get_ifd(EXIF_IFD)
        if sub:
            if EXIF_PIXEL_X_DIMENSION in sub:
                sub[EXIF_PIXEL_X_DIMENSION] = size[0]
            if EXIF_PIXEL_Y_DIMENSION in sub:
                sub[EXIF_PIXEL_Y_DIMENSION] = size[1]
        return exif.tobytes()
    except Exception:
        logger.warning("EXIF could not be carried over; dropped", exc_info=True)
        return None
