"""Pixels between Pillow and the upscalers: float planes, quantising, bit depth, alpha. Torch-free.

The one 16 → 8-bit conversion and the one alpha flattening of the service live here, so that what
the writer saves and what benchmark mode scores are the same pixels.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image

if TYPE_CHECKING:
    from upscaler.engine.imageio.source import SourceImage

#: The modes a SourceImage's image is in: what `to_planes` and the writer accept.
WORKING_MODES = ("L", "LA", "RGB", "RGBA", "I;16")
#: JPEG has no alpha; transparent pixels become the usual page colour.
FLATTEN_BACKGROUND = (255, 255, 255, 255)


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


def to_8bit(values: np.ndarray) -> np.ndarray:
    """16-bit levels (0-65535) → 8-bit levels, rounded to nearest: round(v · 255 / 65535).

    Exact integer arithmetic (no tie can occur: v / 257 is never k + ½ for an integer v).
    """
    wide = np.asarray(values).astype(np.uint32)
    return ((wide * 255 + 32767) // 65535).astype(np.uint8)


def flatten_alpha(image: Image.Image) -> Image.Image:
    """LA → L and RGBA → RGB, composited onto white; any other mode is returned as it is."""
    if image.mode not in ("LA", "RGBA"):
        return image
    background = Image.new("RGBA", image.size, FLATTEN_BACKGROUND)
    flat = Image.alpha_composite(background, image.convert("RGBA"))
    return flat.convert("L" if image.mode == "LA" else "RGB")


def to_rgb8(image: Image.Image) -> Image.Image:
    """Any working mode → 8-bit RGB: 16-bit grey by `to_8bit`, transparency by `flatten_alpha`."""
    if image.mode in ("I;16", "I"):
        image = Image.fromarray(to_8bit(np.asarray(image)))
    return flatten_alpha(image).convert("RGB")
