"""Benchmark evaluation: Y-PSNR / SSIM on Set5, Set14 and BSD100 as SR papers report them.

HR is cropped to a multiple of the scale, LR is made by Pillow bicubic (the training
degradation), `scale` pixels are shaved from each border, and the metrics are taken on BT.601
luma. Bicubic is measured in the same run; published figures are printed beside ours. The
benchmark images are read here and only here, after training: never for training or selection.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from upscaler.engine.metrics import psnr_y, ssim_y
from upscaler.training import data

BENCHMARK_SETS = ("Set5", "Set14", "BSD100")

#: Published Y-PSNR / SSIM (bicubic: Matlab imresize, as in Lim et al. 2017 / Lai et al. 2017;
#: SRResNet and SRGAN: Ledig et al. 2017, table 2). Keyed by scale, then method.
PUBLISHED: dict[int, dict[str, dict[str, tuple[float, float]]]] = {
    2: {"bicubic (published)": {"Set5": (33.66, 0.9299), "Set14": (30.24, 0.8688), "BSD100": (29.56, 0.8431)}},
    3: {"bicubic (published)": {"Set5": (30.39, 0.8682), "Set14": (27.55, 0.7742), "BSD100": (27.21, 0.7385)}},
    4: {
        "bicubic (published)": {"Set5": (28.42, 0.8104), "Set14": (26.00, 0.7027), "BSD100": (25.96, 0.6675)},
        "SRResNet (Ledig et al.)": {"Set5": (32.05, 0.9019), "Set14": (28.49, 0.8184), "BSD100": (27.58, 0.7620)},
        "SRGAN (Ledig et al.)": {"Set5": (29.40, 0.8472), "Set14": (26.02, 0.7397), "BSD100": (25.16, 0.6688)},
    },
    8: {"bicubic (published)": {"Set5": (24.40, 0.6580), "Set14": (23.10, 0.5660), "BSD100": (23.67, 0.5480)}},
}

Upscale = Callable[[np.ndarray], np.ndarray]  # LR H×W×3 uint8 -> SR (sH)×(sW)×3 uint8


def default_benchmarks_root() -> Path:
    return data.default_train_root().parent / "benchmarks"


def bicubic_upscale(scale: int) -> Upscale:
    def upscale(lr: np.ndarray) -> np.ndarray:
        h, w = lr.shape[:2]
        return np.array(Image.fromarray(lr).resize((w * scale, h * scale), Image.Resampling.BICUBIC))

    return upscale


@dataclass
class SetScore:
    psnr: float
    ssim: float
    images: int


def evaluate_set(upscale: Upscale, images: list[Path], scale: int) -> SetScore:
    psnrs, ssims = [], []
    for path in images:
        hr = data.crop_to_multiple(data.load_rgb(path), scale)
        sr = upscale(data.bicubic_downscale(hr, scale))
        if sr.shape != hr.shape:
            raise ValueError(f"{path.name}: model gave {sr.shape}, expected {hr.shape}")
        psnrs.append(psnr_y(sr, hr, border=scale))
        ssims.append(ssim_y(sr, hr, border=scale))
    return SetScore(float(np.mean(psnrs)), float(np.mean(ssims)), len(images))


def evaluate(methods: dict[str, Upscale], scale: int, root: Path | None = None,
             sets: tuple[str, ...] = BENCHMARK_SETS) -> dict[str, dict[str, SetScore]]:
    root = Path(root or default_benchmarks_root())
    table: dict[str, dict[str, SetScore]] = {}
    for name, upscale in methods.items():
        table[name] = {s: evaluate_set(upscale, data.list_images(root / s), scale) for s in sets}
    return table


def markdown_table(table: dict[str, dict[str, SetScore]], scale: int, sets: tuple[str, ...] = BENCHMARK_SETS) -> str:
    header = "| method | " + " | ".join(f"{s} PSNR / SSIM" for s in sets) + " |"
    lines = [f"Y-channel PSNR (dB) / SSIM at x{scale}, {scale}px border shaved, LR by Pillow bicubic.", "",
             header, "|---|" + "---:|" * len(sets)]
    for name, scores in table.items():
        lines.append(f"| {name} | " + " | ".join(f"{scores[s].psnr:.2f} / {scores[s].ssim:.4f}" for s in sets) + " |")
    for name, scores in PUBLISHED.get(scale, {}).items():
        lines.append(f"| *{name}* | " + " | ".join(
            f"*{scores[s][0]:.2f} / {scores[s][1]:.4f}*" if s in scores else "–" for s in sets) + " |")
    return "\n".join(lines) + "\n"


def table_as_metadata(table: dict[str, dict[str, SetScore]]) -> dict:
    """The table in plain JSON-able form, for weight-file metadata."""
    return {name: {s: {"psnr": round(v.psnr, 3), "ssim": round(v.ssim, 4)} for s, v in scores.items()}
            for name, scores in table.items()}


def engine_upscale(name: str, scale: int, config=None) -> Upscale:
    """A registered model through the served path (tiling, precision, I/O) of the engine."""
    from upscaler.engine import EngineConfig, load_upscaler, read_image

    upscaler = load_upscaler(name, scale, config or EngineConfig())

    def upscale(lr: np.ndarray) -> np.ndarray:
        encoded = io.BytesIO()
        Image.fromarray(lr).save(encoded, format="PNG")  # lossless: the engine sees exactly `lr`
        source = read_image(encoded.getvalue(), max_pixels=lr.shape[0] * lr.shape[1])
        return np.array(upscaler(source).convert("RGB"))

    return upscale


def evaluate_command(*, run: Path | None, model: str | None, scale: int | None,
                     sets: tuple[str, ...] = BENCHMARK_SETS, root: Path | None = None,
                     engine_config=None) -> str:
    """Evaluate a training run or a registered model beside bicubic; returns the markdown table."""
    if run is not None:
        from upscaler.training.export import checkpoint_upscale, model_from_checkpoint

        network, _ = model_from_checkpoint(Path(run) / "checkpoint.pt")
        if scale not in (None, network.config.scale):
            raise ValueError(f"{run} is a x{network.config.scale} model, not x{scale}")
        scale = network.config.scale
        methods = {f"{Path(run).name} (ours)": checkpoint_upscale(network)}
    else:
        if scale is None:
            raise ValueError("--scale is required with --model")
        methods = {f"{model} (ours)": engine_upscale(model, scale, engine_config)}
    methods["bicubic (ours, Pillow)"] = bicubic_upscale(scale)
    return markdown_table(evaluate(methods, scale, root, sets), scale, sets)
