"""Images in and out of the engine (Pillow <-> arrays), one module per subject. Torch-free.

`read` decodes into a `source.SourceImage`, `write` saves results, `pixels` converts between images
and the upscalers' float planes (bit depth, alpha). The public names are re-exported here, so
`from upscaler.engine.imageio import read_image, write_image, SourceImage` keeps working.
"""

from upscaler.engine.imageio.pixels import (
    WORKING_MODES,
    Planes,
    colour_to_output,
    flatten_alpha,
    max_value,
    quantize,
    resize_bicubic,
    to_8bit,
    to_planes,
    to_rgb8,
)
from upscaler.engine.imageio.read import read_image
from upscaler.engine.imageio.source import SourceImage
from upscaler.engine.imageio.write import OUTPUT_FORMATS, write_image

__all__ = [
    "OUTPUT_FORMATS",
    "WORKING_MODES",
    "Planes",
    "SourceImage",
    "colour_to_output",
    "flatten_alpha",
    "max_value",
    "quantize",
    "read_image",
    "resize_bicubic",
    "to_8bit",
    "to_planes",
    "to_rgb8",
    "write_image",
]
