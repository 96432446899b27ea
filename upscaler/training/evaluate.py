"""Benchmark evaluation: Y-PSNR / SSIM on Set5, Set14 and BSD100 as SR papers report them, and
under the fixed real-world degradations of the photo models.

HR is cropped to a multiple of the scale; LR is one of the seeded fixed degradations
(training/degradations.py: `clean` = Pillow bicubic, the papers' table; `jpeg75`; `real`);
`scale` pixels are shaved from each border, and the metrics are taken on BT.601 luma. Bicubic is
measured in the same run; published figures are printed beside ours (clean only). `held-out` is
the training images held out for validation, the set choices are made on. The benchmark images
are read here and only here, after training: never for training or selection.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from upscaler.engine.metrics import psnr_y, ssim_y
from upscaler.engine.provenance import choose_model, read_provenance
from upscaler.training import data
from upscaler.training.checkpoint import checkpoint_upscale, model_from_checkpoint
from upscaler.training.degradations import fixed_degradation_file

BENCHMARK_SETS = ("Set5", "Set14", "BSD100")
#: The training images held out for validation, scored like a benchmark set.
HELD_OUT = "held-out"

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


class AutoChoice:
    """The service's automatic choice: reads the LR *file* (JPEG tables, noise), then runs the
    photo or the clean model, as the upload path does."""

    def __init__(self, *, clean: tuple[str, Upscale], photo: tuple[str, Upscale] | None) -> None:
        self.methods = dict([clean] + ([photo] if photo else []))
        self.clean, self.photo = clean[0], photo[0] if photo else None
        self.chosen: dict[str, int] = {}

    def from_file(self, encoded: bytes) -> np.ndarray:
        name = choose_model(read_provenance(encoded), clean=self.clean, photo=self.photo).name
        self.chosen[name] = self.chosen.get(name, 0) + 1
        return self.methods[name](_decode(encoded))


def _decode(encoded: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(encoded)) as img:
        return np.array(img.convert("RGB"), dtype=np.uint8)


def set_images(root: Path, name: str) -> list[Path]:
    if name == HELD_OUT:
        return data.split_train_val(data.list_images(data.default_train_root()))[1]
    return data.list_images(Path(root) / name)


def evaluate_set(upscale: Upscale, images: list[Path], scale: int, degradation: str = "clean") -> SetScore:
    psnrs, ssims = [], []
    for path in images:
        hr = data.crop_to_multiple(data.load_rgb(path), scale)
        lr_file = fixed_degradation_file(degradation, hr, scale)
        sr = upscale.from_file(lr_file) if hasattr(upscale, "from_file") else upscale(_decode(lr_file))
        if sr.shape != hr.shape:
            raise ValueError(f"{path.name}: model gave {sr.shape}, expected {hr.shape}")
        psnrs.append(psnr_y(sr, hr, border=scale))
        ssims.append(ssim_y(sr, hr, border=scale))
    return SetScore(float(np.mean(psnrs)), float(np.mean(ssims)), len(images))


def evaluate(methods: dict[str, Upscale], scale: int, root: Path | None = None,
             sets: tuple[str, ...] = BENCHMARK_SETS, degradation: str = "clean") -> dict[str, dict[str, SetScore]]:
    root = Path(root or default_benchmarks_root())
    images = {s: set_images(root, s) for s in sets}
    table: dict[str, dict[str, SetScore]] = {}
    for name, upscale in methods.items():
        table[name] = {s: evaluate_set(upscale, images[s], scale, degradation) for s in sets}
    return table


DEGRADATION_TITLES = {
    "clean": "LR by Pillow bicubic",
    "jpeg75": "LR by Pillow bicubic, then JPEG quality 75",
    "real": "LR by Gaussian blur σ 0.8, Pillow bicubic, Gaussian noise σ 2/255, JPEG quality 70",
}


def markdown_table(table: dict[str, dict[str, SetScore]], scale: int, sets: tuple[str, ...] = BENCHMARK_SETS,
                   degradation: str = "clean") -> str:
    header = "| method | " + " | ".join(f"{s} PSNR / SSIM" for s in sets) + " |"
    lines = [f"`{degradation}`: Y-channel PSNR (dB) / SSIM at x{scale}, {scale}px border shaved, "
             f"{DEGRADATION_TITLES[degradation]}.", "", header, "|---|" + "---:|" * len(sets)]
    for name, scores in table.items():
        lines.append(f"| {name} | " + " | ".join(f"{scores[s].psnr:.2f} / {scores[s].ssim:.4f}" for s in sets) + " |")
    for name, scores in (PUBLISHED.get(scale, {}) if degradation == "clean" else {}).items():
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
                     engine_config=None, degradations: tuple[str, ...] = ("clean",)) -> str:
    """Evaluate a training run, named models (comma-separated) or, with neither, every registered
    model offering `scale` — with bicubic, and the automatic choice when a `photo` model exists —
    under each degradation; returns the markdown tables."""
    methods, scale = _methods(run=run, model=model, scale=scale, engine_config=engine_config)
    tables = []
    for degradation in degradations:
        table = evaluate(methods, scale, root, sets, degradation)
        tables.append(markdown_table(table, scale, sets, degradation))
        auto = next((m for m in methods.values() if isinstance(m, AutoChoice)), None)
        if auto is not None:
            tables.append(f"automatic choice under `{degradation}`: {dict(sorted(auto.chosen.items()))} images\n")
            auto.chosen.clear()
    return "\n".join(tables)


def _methods(*, run: Path | None, model: str | None, scale: int | None, engine_config) -> tuple[dict, int]:
    if run is not None:
        network, _ = model_from_checkpoint(Path(run) / "checkpoint.pt")
        if scale not in (None, network.config.scale):
            raise ValueError(f"{run} is a x{network.config.scale} model, not x{scale}")
        scale = network.config.scale
        methods: dict = {f"{Path(run).name} (ours)": checkpoint_upscale(network)}
    else:
        if scale is None:
            raise ValueError("--scale is required unless --run is given")
        from upscaler.engine import EngineConfig
        from upscaler.engine.registry import default_model_name, list_models

        config = engine_config or EngineConfig()
        names = model.split(",") if model else [m.name for m in list_models(config)
                                                 if scale in m.scales and m.name != "bicubic"]
        methods = {f"{name} (ours)": engine_upscale(name, scale, config) for name in names}
        if "photo" in names:
            clean = default_model_name(scale, config)
            clean_upscale = methods.get(f"{clean} (ours)") or engine_upscale(clean, scale, config)
            methods["auto (photo or clean, by file)"] = AutoChoice(
                clean=(clean, clean_upscale), photo=("photo", methods["photo (ours)"]))
    methods["bicubic (ours, Pillow)"] = bicubic_upscale(scale)
    return methods, scale
