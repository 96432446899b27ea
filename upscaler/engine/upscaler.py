"""Upscaler: one loaded model behind a stateless, thread-safe call, and load_upscaler.

The Upscaler owns the pipeline around the network: pixel budget, planes (premultiplied colour +
alpha), tile plan, out-of-memory retries with halved tiles, blending straight into the final 8-
or 16-bit array, and reassembly in the source's mode family. The network itself sits behind a
*backend* (bicubic here; torch models in upscaler.engine.runtime, imported only when needed so
that `bicubic` works without torch).

Backend contract: forward(colour) takes an H×W×3 float32 array in [0, 1] (host memory) and
returns an (H·s)×(W·s)×3 float32 array, unclamped. It may raise an out-of-memory error, which
`is_out_of_memory` recognises. Nothing per image is kept on the backend or the Upscaler.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from typing import Protocol

import numpy as np
from PIL import Image

from upscaler.engine.config import EngineConfig
from upscaler.engine.errors import EngineOutOfMemoryError, ImageTooLargeError
from upscaler.engine.imageio import (
    Planes,
    SourceImage,
    colour_to_output,
    quantize,
    resize_bicubic,
    to_planes,
)
from upscaler.engine.registry import ModelInfo, find_model
from upscaler.engine.tiling import Tile, TilePlan, blend_tiles, plan_tiles

logger = logging.getLogger(__name__)

Progress = Callable[[int, int], None]

#: Pillow's bicubic kernel reaches 2 input pixels when enlarging; one more for rounding safety.
BICUBIC_RADIUS = 3


class Backend(Protocol):
    device: str
    #: Input pixels of context each output pixel depends on; None if unknown (third-party).
    receptive_radius: int | None

    def forward(self, colour: np.ndarray) -> np.ndarray: ...

    def is_out_of_memory(self, exc: BaseException) -> bool: ...

    def release_memory(self) -> None: ...


class BicubicBackend:
    """Pillow bicubic, channel by channel in float so 16-bit input keeps its precision."""

    device = "cpu"
    receptive_radius = BICUBIC_RADIUS

    def __init__(self, scale: int) -> None:
        self.scale = scale

    def forward(self, colour: np.ndarray) -> np.ndarray:
        channels = [resize_bicubic(colour[:, :, c], self.scale) for c in range(colour.shape[2])]
        return np.stack(channels, axis=2)

    def is_out_of_memory(self, exc: BaseException) -> bool:
        return False

    def release_memory(self) -> None:
        pass


class Upscaler:
    def __init__(self, info: ModelInfo, scale: int, backend: Backend, config: EngineConfig) -> None:
        self.info = info
        self.name = info.name
        self.scale = scale
        self.config = config
        self._backend = backend
        # The exact receptive-field radius when the architecture is known: tiled output then
        # equals whole-image output and no context is wasted. The configured overlap is for
        # architectures whose reach is unknown (third-party files).
        radius = backend.receptive_radius
        self.tile_overlap = config.tile_overlap if radius is None else radius
        # Whole-image bicubic is cheap and reports "1 of 1"; networks tile.
        self.tile_size = 0 if info.kind == "bicubic" else config.tile_size

    @property
    def device(self) -> str:
        return self._backend.device

    def __repr__(self) -> str:
        return f"<Upscaler {self.name} x{self.scale} on {self.device}>"

    def __call__(self, source: SourceImage, *, progress: Progress | None = None):
        """Upscale a SourceImage; returns a PIL image in the source's mode family.

        L stays L, LA stays LA, RGBA keeps its alpha (upscaled bicubically, colour handled
        premultiplied so no dark fringes), 16-bit grey stays 16-bit.
        """
        s = self.scale
        out_pixels = source.width * s * source.height * s
        if out_pixels > self.config.max_output_pixels:
            raise ImageTooLargeError(
                f"The result would be {source.width * s}×{source.height * s} = {out_pixels / 1e6:.0f} MP; "
                f"the limit is {self.config.max_output_pixels / 1e6:.0f} MP. Try a smaller scale or image."
            )
        planes = to_planes(source)
        # Alpha is upscaled bicubically and left unclipped until the colour has been divided by
        # it: premultiplied colour and alpha overshoot together, so their ratio stays true.
        alpha_up = resize_bicubic(planes.alpha, s) if planes.alpha is not None else None
        result = self._upscale_colour(planes, alpha_up, progress)
        if alpha_up is not None:
            result.putalpha(Image.fromarray(quantize(alpha_up, 8)))  # L → LA, RGB → RGBA
        return result

    def _upscale_colour(self, planes: Planes, alpha_up: np.ndarray | None, progress: Progress | None):
        height, width = planes.colour.shape[:2]
        tile_size = self.tile_size
        while True:
            plan = plan_tiles(height, width, tile_size=tile_size, overlap=self.tile_overlap, scale=self.scale)
            try:
                return self._run_plan(plan, planes, alpha_up, progress)
            except Exception as exc:
                if not self._backend.is_out_of_memory(exc):
                    raise
                self._backend.release_memory()
                current = tile_size or max(height, width)
                if current <= self.config.min_tile_size:
                    raise EngineOutOfMemoryError(
                        f"Out of memory on {self.device} even with {current}px tiles; "
                        "the server is busy or the model too large for it."
                    ) from exc
                tile_size = max(self.config.min_tile_size, current // 2)
                logger.warning(
                    "out of memory with %dpx tiles on %s; retrying with %dpx", current, self.device, tile_size
                )

    def _run_plan(
        self, plan: TilePlan, planes: Planes, alpha_up: np.ndarray | None, progress: Progress | None
    ) -> Image.Image:
        total = len(plan)
        height, width = plan.output_size
        mode = "I;16" if planes.bit_depth == 16 else "L" if planes.gray else "RGB"
        # Tiles are pasted straight into the result image: no second full-size array to copy.
        canvas = _Canvas(Image.new(mode, (width, height)))

        def outputs() -> Iterator[np.ndarray]:
            for tile in plan.tiles:
                yield self._backend.forward(planes.colour[tile.input_slices])

        def finish(core: np.ndarray, tile: Tile) -> np.ndarray:
            alpha = alpha_up[tile.output_slices(self.scale)] if alpha_up is not None else None
            result = colour_to_output(core, alpha, gray=planes.gray, bit_depth=planes.bit_depth)
            if progress is not None:
                progress(tile.index + 1, total)
            return result

        blend_tiles(plan, outputs(), out=canvas, transform=finish)
        return canvas.image


class _Canvas:
    """`canvas[rows, cols] = array` pastes into a PIL image (what blend_tiles writes into)."""

    def __init__(self, image: Image.Image) -> None:
        self.image = image

    def __setitem__(self, key: tuple[slice, slice], values: np.ndarray) -> None:
        rows, cols = key
        if values.ndim == 3 and values.shape[2] == 1:
            values = values[:, :, 0]
        self.image.paste(Image.fromarray(np.ascontiguousarray(values)), (cols.start, rows.start))


_load_lock = threading.Lock()


def load_upscaler(name: str, scale: int, config: EngineConfig | None = None) -> Upscaler:
    """Load (and warm up) a model for one scale. Torch is imported only for network models."""
    config = config or EngineConfig()
    info = find_model(name, scale, config)
    if info.kind == "bicubic":
        return Upscaler(info, scale, BicubicBackend(scale), config)
    from upscaler.engine.runtime import load_backend

    with _load_lock:  # torch global settings (threads) and lazy CUDA init are not re-entrant
        backend = load_backend(info, scale, config)
    return Upscaler(info, scale, backend, config)
