"""Training-step speed for thread counts and memory layouts, to choose the fastest settings here."""

from __future__ import annotations

import time
from dataclasses import replace

import torch

from upscaler.training.config import TrainConfig
from upscaler.training.train import Trainer


def measure_step_seconds(config: TrainConfig, run_dir, iterations: int = 6) -> float:
    trainer = Trainer(run_dir, replace(config, iterations=10_000, val_every=10_000))
    trainer.step()  # warm-up: allocator and kernel selection
    start = time.perf_counter()
    for _ in range(iterations):
        trainer.step()
    return (time.perf_counter() - start) / iterations


def speed_table(base: TrainConfig, run_dir, threads=(1, 2), layouts=(False, True)) -> str:
    lines = [f"Training step, x{base.scale} {base.n_blocks}×{base.n_channels}, batch {base.batch_size}, "
             f"LR patch {base.lr_patch} (wall seconds per iteration, lower is better)", "",
             "| threads | layout | s / iteration |", "|---:|---|---:|"]
    for n in threads:
        for channels_last in layouts:
            seconds = measure_step_seconds(replace(base, threads=n, channels_last=channels_last), run_dir)
            lines.append(f"| {n} | {'channels_last' if channels_last else 'NCHW'} | {seconds:.3f} |")
    torch.set_num_threads(base.threads)
    return "\n".join(lines) + "\n"
