"""Sheets on openly licensed photos: model comparisons (HR | bicubic | models) and samples of
the degradation chain.

The photos are the public-domain / CC0 ones bundled in the scikit-image wheel (astronaut: NASA,
public domain; chelsea and coffee: CC0), so the sheet can be committed and shown; the research
data sets must not be published.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from upscaler.engine.metrics import detail_ratio, psnr_y
from upscaler.training import data
from upscaler.training.degradation_presets import DegradationConfig
from upscaler.training.degradations import degrade, fixed_degradation

#: (photo, crop box in HR pixels (left, top, size)): regions with texture (hair, fur, foam).
CROPS = (("astronaut", (150, 20, 160)), ("chelsea", (120, 60, 160)), ("coffee", (300, 60, 160)))
ZOOM = 2  # each panel is enlarged with nearest neighbour so single pixels stay visible
LABEL_HEIGHT = 18


def open_photo(name: str) -> np.ndarray:
    import skimage.data

    return np.asarray(getattr(skimage.data, name)())[..., :3].astype(np.uint8)


def make_sheet(methods: dict[str, Callable[[np.ndarray], np.ndarray]], scale: int, out: Path,
               degradations: tuple[str, ...] = ("clean",)) -> Path:
    """One row per crop and fixed degradation (clean, jpeg75, real); columns: HR, then each method
    with its Y-PSNR against HR and its detail ratio (luma gradient energy against HR's: what PSNR
    cannot show about sharpness)."""
    rows = []
    for degradation in degradations:
        for photo, (left, top, size) in CROPS:
            hr = data.crop_to_multiple(open_photo(photo)[top : top + size, left : left + size], scale)
            rows.append(_method_panels(methods, hr, fixed_degradation(degradation, hr, scale), scale, degradation))
    return _save_grid(rows, out)


def _method_panels(methods, hr: np.ndarray, lr: np.ndarray, scale: int, degradation: str) -> list:
    panels = [(f"HR (ground truth); LR {degradation}", hr)]
    for name, upscale in methods.items():
        sr = upscale(lr)
        psnr, detail = psnr_y(sr, hr, border=scale), detail_ratio(sr, hr, border=scale)
        panels.append((f"{name}  {psnr:.2f} dB  detail {detail:.0%}", sr))
    return panels


def _save_grid(rows: list[list[tuple[str, np.ndarray]]], out: Path) -> Path:
    """Panels (label, pixels) in a grid; every panel is shown at the first one's size × ZOOM."""
    size = rows[0][0][1].shape[0] * ZOOM
    sheet = Image.new("RGB", (size * len(rows[0]), (size + LABEL_HEIGHT) * len(rows)), "white")
    draw = ImageDraw.Draw(sheet)
    for r, panels in enumerate(rows):
        for c, (label, pixels) in enumerate(panels):
            tile = Image.fromarray(pixels).resize((size, size), Image.Resampling.NEAREST)
            y = r * (size + LABEL_HEIGHT)
            sheet.paste(tile, (c * size, y + LABEL_HEIGHT))
            draw.text((c * size + 4, y + 3), label, fill="black")
    out.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(out)
    return out


def make_degradation_sheet(config: DegradationConfig, scale: int, out: Path, *, samples: int = 6,
                           seed: int = 0) -> Path:
    """One row per CC0 crop: the HR patch, then `samples` LR patches drawn through `config`
    (enlarged with nearest neighbour to the HR size), to see what a training run learns from."""
    rng = np.random.default_rng(seed)
    rows = []
    for photo, (left, top, size) in CROPS:
        hr = data.crop_to_multiple(open_photo(photo)[top : top + size, left : left + size], scale)
        panels = [("HR patch", hr)] + [(f"LR sample {i + 1}", degrade(hr, scale, config, rng)) for i in range(samples)]
        rows.append(panels)
    return _save_grid(rows, out)
