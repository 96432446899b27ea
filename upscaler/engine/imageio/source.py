"""SourceImage: a decoded image in a working mode, with the metadata the writer carries over."""

from __future__ import annotations

from dataclasses import dataclass, field

from PIL import Image


@dataclass
class SourceImage:
    image: Image.Image  # oriented, first frame, in a working mode (see pixels.WORKING_MODES)
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
