"""Which generator size buys the most quality per CPU-hour here? Train each candidate for the
same CPU-time budget (its one-cycle schedule sized to fit) and compare held-out PSNR."""

from __future__ import annotations

import json
import logging
import time
from dataclasses import replace
from pathlib import Path

from upscaler.training.train import Trainer, TrainConfig, best_val_psnr

log = logging.getLogger(__name__)

#: (n_blocks, n_channels, norm): from ESPCN-sized up to the paper's SRResNet.
CANDIDATES = ((4, 32, "none"), (8, 48, "none"), (16, 64, "none"), (16, 64, "batch"))


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
    for n_blocks, n_channels, norm in candidates:
        name = f"b{n_blocks}c{n_channels}{'-bn' if norm == 'batch' else ''}"
        config = replace(base, n_blocks=n_blocks, n_channels=n_channels, norm=norm)
        spi = cpu_seconds_per_iteration(config, out_dir / name)
        iterations = max(50, int(cpu_budget_s / spi))
        config = replace(config, iterations=iterations, val_every=max(25, iterations // 4))
        trainer = Trainer(out_dir / name / "run", config)
        trainer.run(show_progress=False)
        row = {"name": name, "n_blocks": n_blocks, "n_channels": n_channels, "norm": norm,
               "cpu_s_per_iter": round(spi, 3), "iterations": iterations,
               "cpu_s": round(trainer.cpu_seconds, 1), "val_psnr": round(best_val_psnr(trainer.history), 3)}
        log.info("sweep %s", row)
        rows.append(row)
        (out_dir / "sweep.json").write_text(json.dumps(rows, indent=1))
    return rows


def sweep_markdown(rows: list[dict], scale: int, cpu_budget_s: float) -> str:
    lines = [f"Equal CPU budget of {cpu_budget_s:.0f} CPU-seconds per candidate, x{scale}, "
             "held-out validation Y-PSNR (training images, never the benchmarks).", "",
             "| model | CPU-s / iteration | iterations in budget | val Y-PSNR (dB) |", "|---|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r['name']} | {r['cpu_s_per_iter']} | {r['iterations']} | {r['val_psnr']:.2f} |")
    return "\n".join(lines) + "\n"
