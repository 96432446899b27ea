"""Checkpoints that resume a run exactly: weights, EMA, optimiser, schedule, every RNG, history."""

from __future__ import annotations

import os
import random
from pathlib import Path
from typing import Any

import numpy as np
import torch


def capture_rng() -> dict[str, Any]:
    return {
        "python": random.getstate(),
        # numpy's legacy state holds an ndarray; a list keeps the checkpoint loadable with
        # weights_only=True (no pickled objects).
        "numpy": _numpy_state_to_plain(np.random.get_state()),
        "torch": torch.get_rng_state(),
    }


def _numpy_state_to_plain(state: tuple) -> tuple:
    name, keys, pos, has_gauss, cached = state
    return (name, keys.tolist(), int(pos), int(has_gauss), float(cached))


def restore_rng(state: dict[str, Any]) -> None:
    random.setstate(state["python"])
    name, keys, pos, has_gauss, cached = state["numpy"]
    np.random.set_state((name, np.array(keys, dtype=np.uint32), pos, has_gauss, cached))
    torch.set_rng_state(state["torch"])


def save_checkpoint(path: Path, state: dict[str, Any]) -> None:
    """Write atomically (temp file + rename) so a kill mid-write never corrupts the last one."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    torch.save(state, tmp)
    os.replace(tmp, path)


def load_checkpoint(path: Path) -> dict[str, Any]:
    # Checkpoints hold only tensors and plain containers, so even our own files load without
    # unpickling arbitrary objects.
    return torch.load(path, map_location="cpu", weights_only=True)


def earlier_cpu_seconds(ckpt: dict[str, Any]) -> float:
    """CPU-seconds spent on the runs this one was grown or fine-tuned from (0 for a fresh run)."""
    if "init_cpu_seconds" in ckpt:
        return float(ckpt["init_cpu_seconds"])
    # Checkpoints from before the figure was recorded: follow the init chain as it is on disk.
    source = ckpt["train_config"].get("init_from")
    if source and Path(source).exists():
        return total_cpu_seconds(load_checkpoint(Path(source)))
    return 0.0


def total_cpu_seconds(ckpt: dict[str, Any]) -> float:
    """What the weights in `ckpt` cost from scratch: this run plus every run it started from."""
    return float(ckpt["cpu_seconds"]) + earlier_cpu_seconds(ckpt)
