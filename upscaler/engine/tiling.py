"""Tile plans and blending for tiled inference: pure functions on shapes and numpy arrays.

Each tile has a *core* (the input pixels whose output it owns) and a *context* margin of
`overlap` input pixels on every side that is not at the image border. Blending crops every tile's
output to its core and pastes it: every output pixel comes from exactly one tile, computed with
the same neighbourhood as in a whole-image pass whenever the overlap covers the network's
receptive-field radius. So tiled output equals whole-image output up to float rounding, with no
feathering (which would only blur a mismatch) and no float accumulation buffer (which at 8192²×3
would be 768 MiB): tiles are quantised straight into the final 8- or 16-bit array.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np

Box = tuple[int, int, int, int]  # top, left, bottom, right (bottom/right exclusive)


@dataclass(frozen=True)
class Tile:
    index: int
    core: Box  # input pixels this tile owns
    context: Box  # input pixels fed to the network: core grown by the overlap, clipped

    @property
    def input_slices(self) -> tuple[slice, slice]:
        top, left, bottom, right = self.context
        return slice(top, bottom), slice(left, right)

    def core_in_output(self, scale: int) -> tuple[slice, slice]:
        """Where the core lies in this tile's own (upscaled) output."""
        top = (self.core[0] - self.context[0]) * scale
        left = (self.core[1] - self.context[1]) * scale
        height = (self.core[2] - self.core[0]) * scale
        width = (self.core[3] - self.core[1]) * scale
        return slice(top, top + height), slice(left, left + width)

    def output_slices(self, scale: int) -> tuple[slice, slice]:
        """Where the core lies in the whole upscaled image."""
        top, left, bottom, right = self.core
        return slice(top * scale, bottom * scale), slice(left * scale, right * scale)


@dataclass(frozen=True)
class TilePlan:
    height: int
    width: int
    scale: int
    tile_size: int
    overlap: int
    tiles: tuple[Tile, ...]

    @property
    def output_size(self) -> tuple[int, int]:
        """(height, width) of the upscaled image."""
        return self.height * self.scale, self.width * self.scale

    def __len__(self) -> int:
        return len(self.tiles)


def _split(length: int, tile_size: int) -> list[tuple[int, int]]:
    """Cut [0, length) into the fewest near-equal parts no longer than tile_size."""
    if tile_size <= 0 or tile_size >= length:
        return [(0, length)]
    parts = math.ceil(length / tile_size)
    edges = [round(i * length / parts) for i in range(parts + 1)]
    return list(itertools.pairwise(edges))


def _contexts(parts: list[tuple[int, int]], length: int, overlap: int) -> list[tuple[int, int]]:
    """Every core grown by `overlap` each side, then shifted inside the image, all one size.

    Equal tile shapes let the allocator and oneDNN reuse what the first tile set up (varying
    edge tiles fragment the heap); a shifted window only adds context, never removes it.
    """
    size = min(length, max(b - a for a, b in parts) + 2 * overlap)
    contexts = []
    for start, _end in parts:
        begin = min(max(0, start - overlap), length - size)
        contexts.append((begin, begin + size))
    return contexts


def plan_tiles(height: int, width: int, *, tile_size: int, overlap: int, scale: int) -> TilePlan:
    """Plan tiles of at most tile_size² core input pixels (0 = one tile for the whole image).

    Each core gets at least `overlap` pixels of context on every side that is not an image
    border; all tiles of a plan have the same (context) shape.
    """
    if height < 1 or width < 1:
        raise ValueError(f"empty image {width}×{height}")
    if scale < 1 or overlap < 0 or tile_size < 0:
        raise ValueError("scale must be >= 1, overlap and tile_size >= 0")
    rows, cols = _split(height, tile_size), _split(width, tile_size)
    row_contexts, col_contexts = _contexts(rows, height, overlap), _contexts(cols, width, overlap)
    tiles = []
    for (top, bottom), (c_top, c_bottom) in zip(rows, row_contexts, strict=True):
        for (left, right), (c_left, c_right) in zip(cols, col_contexts, strict=True):
            tiles.append(
                Tile(index=len(tiles), core=(top, left, bottom, right), context=(c_top, c_left, c_bottom, c_right))
            )
    return TilePlan(height, width, scale, tile_size, overlap, tuple(tiles))


def blend_tiles(
    plan: TilePlan,
    outputs: Iterable[np.ndarray],
    *,
    out: np.ndarray | None = None,
    transform: Callable[[np.ndarray, Tile], np.ndarray] | None = None,
) -> np.ndarray:
    """Paste the core of each tile's output (H×W×C, in plan order) into the whole image.

    `outputs` may be a generator, so only one tile's output is alive at a time. `transform`
    (core output, tile) → array runs on each cropped core before it is stored, e.g. to
    un-premultiply and quantise. `out` defaults to an array shaped and typed after the first
    (transformed) tile; any object taking `out[rows, cols] = array` will do.
    """
    count = 0
    for tile, tile_output in zip(plan.tiles, outputs, strict=True):
        expected = (
            (tile.context[2] - tile.context[0]) * plan.scale,
            (tile.context[3] - tile.context[1]) * plan.scale,
        )
        if tile_output.shape[:2] != expected:
            raise ValueError(f"tile {tile.index}: output {tile_output.shape[:2]}, expected {expected}")
        core = tile_output[tile.core_in_output(plan.scale)]
        if transform is not None:
            core = transform(core, tile)
        if out is None:
            out = np.empty(plan.output_size + core.shape[2:], dtype=core.dtype)
        out[tile.output_slices(plan.scale)] = core
        count += 1
        del tile_output, core  # free this tile before the next one is computed
    if out is None or count != len(plan.tiles):
        raise ValueError(f"got {count} tile outputs for a plan of {len(plan.tiles)}")
    return out
