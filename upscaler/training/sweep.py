"""Which generator size buys the most quality per CPU-hour here? Train each candidate for the
same CPU-time budget (its one-cycle schedule sized to fit) and compare held-out PSNR."""

from __future__ import annotations

import json
import logging
import re
import time
from dataclasses import replace
from pathlib import Path

from upscaler.training.checkpoint import load_checkpoint
from upscaler.training.config import TrainConfig
from upscaler.training.plots import plot_sweep
from upscaler.training.train import Trainer
from upscaler.training.validation import best_val_psnr

log = logging.getLogger(__name__)

#: (arch, n_blocks, n_channels, norm): from ESPCN-sized up to the paper's SRResNet.
CANDIDATES = (("srresnet", 4, 32, "none"), ("srresnet", 8, 48, "none"), ("srresnet", 16, 64, "none"),
              ("srresnet", 16, 64, "batch"))


def candidate_name(arch: str, n_blocks: int, n_channels: int, norm: str) -> str:
    prefix = "" if arch == "srresnet" else f"{arch}-"
    return f"{prefix}b{n_blocks}c{n_channels}{'-bn' if norm == 'batch' else ''}"


def parse_candidate(name: str) -> tuple[str, int, int, str]:
    """'b8c48' → ('srresnet', 8, 48, 'none'); 'b16c64-bn' → ('srresnet', 16, 64, 'batch');
    'span-b6c48' → ('span', 6, 48, 'none')."""
    match = re.fullmatch(r"(?:([a-z]+)-)?b(\d+)c(\d+)(-bn)?", name.strip())
    if not match:
        raise ValueError(f"candidate {name!r}: expected e.g. b8c48, b16c64-bn or span-b6c48")
    return match[1] or "srresnet", int(match[2]), int(match[3]), "batch" if match[4] else "none"


def cpu_seconds_per_iteration(config: TrainConfig, run_dir: Path, probe_iterations: int = 8) -> float:
    probe = Trainer(run_dir / "probe", replace(config, iterations=10_000, val_every=10_000))
    probe.step()  # first step allocates; not representative
    start = time.process_time()
    for _ in range(probe_iterations):
        probe.step()
    return (time.process_time() - start) / probe_iterations


def run_sweep(base: TrainConfig, out_dir: Path, cpu_budget_s: float, candidates=CANDIDATES) -> list[dict]:
    out_dir.mkdir(parents=True, exist_ok=True)
    rows = []
    for arch, n_blocks, n_channels, norm in candidates:
        name = candidate_name(arch, n_blocks, n_channels, norm)
        config = replace(base, arch=arch, n_blocks=n_blocks, n_channels=n_channels, norm=norm)
        spi = cpu_seconds_per_iteration(config, out_dir / name)
        iterations = max(50, int(cpu_budget_s / spi))
        config = replace(config, iterations=iterations, val_every=max(25, iterations // 4))
        (out_dir / name / "probe.json").write_text(json.dumps({"cpu_s_per_iter": round(spi, 3)}))
        trainer = Trainer(out_dir / name / "run", config)
        trainer.run(show_progress=False)
        rows = summarise_sweep(out_dir, candidates)
        log.info("sweep %s", rows[-1])
    return rows


def summarise_sweep(out_dir: Path, candidates=CANDIDATES) -> list[dict]:
    """Rows (and sweep.json, sweep.png) from the candidates' run checkpoints, finished or not."""
    rows, histories = [], {}
    for arch, n_blocks, n_channels, norm in candidates:
        name = candidate_name(arch, n_blocks, n_channels, norm)
        ckpt_path = out_dir / name / "run" / "checkpoint.pt"
        if not ckpt_path.exists():
            continue
        checkpoint = load_checkpoint(ckpt_path)
        history = json.loads(checkpoint["history"])
        histories[name] = history
        probe = out_dir / name / "probe.json"
        rows.append({"name": name, "arch": arch, "n_blocks": n_blocks, "n_channels": n_channels, "norm": norm,
                     "cpu_s_per_iter": json.loads(probe.read_text())["cpu_s_per_iter"] if probe.exists() else None,
                     "iterations": checkpoint["iteration"],
                     "planned_iterations": checkpoint["train_config"]["iterations"],
                     "cpu_s": round(checkpoint["cpu_seconds"], 1), "val_psnr": round(best_val_psnr(history), 3)})
    (out_dir / "sweep.json").write_text(json.dumps(rows, indent=1))
    plot_sweep(histories, out_dir / "sweep.png")
    return rows


def sweep_markdown(rows: list[dict], scale: int, cpu_budget_s: float) -> str:
    lines = [f"CPU budget of {cpu_budget_s:.0f} CPU-seconds per candidate (one-cycle sized from a probe of "
             f"its speed; the CPU actually used is shown), x{scale}, held-out validation Y-PSNR "
             "(training images, never the benchmarks).", "",
             "| model | CPU-s / iteration (probe) | iterations | CPU-s used | val Y-PSNR (dB) |",
             "|---|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r['name']} | {r['cpu_s_per_iter'] or '–'} | {r['iterations']} | {r['cpu_s']:.0f} "
                     f"| {r['val_psnr']:.2f} |")
    return "\n".join(lines) + "\n"
