"""Checkpoints: the state that resumes a run exactly, and the EMA generator a checkpoint holds.

The state is weights, EMA, optimiser, schedule, every RNG and the history. The generator comes out
with the whole-image inference that evaluation, export and the comparison sheet run it by, here
and not in export.py, so that those modules need not import one another.
"""

from __future__ import annotations

import os
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch

from upscaler.engine.archs import ARCHITECTURES
from upscaler.training import data

#: AveragedModel keeps the averaged network under this prefix in its state_dict.
EMA_PREFIX = "module."


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


def ema_weights(checkpoint: dict) -> dict[str, torch.Tensor]:
    """The EMA generator's state_dict out of a checkpoint."""
    return {k[len(EMA_PREFIX) :]: v for k, v in checkpoint["ema"].items() if k.startswith(EMA_PREFIX)}


def model_from_state(state: dict) -> torch.nn.Module:
    """The EMA generator of a loaded checkpoint, in training form (eval mode)."""
    arch = state["train_config"].get("arch", "srresnet")  # runs from before SPAN were all SRResNet
    network_class, config_class = ARCHITECTURES[arch]
    model = network_class(config_class.from_dict(state["model_config"]))
    model.load_state_dict(ema_weights(state), strict=True)
    return model.eval()


def model_from_checkpoint(path: Path) -> tuple[torch.nn.Module, dict[str, Any]]:
    """(EMA generator, the checkpoint it came from) of a run's checkpoint file."""
    checkpoint = load_checkpoint(path)
    return model_from_state(checkpoint), checkpoint


@torch.inference_mode()
def super_resolve(model: torch.nn.Module, lr: np.ndarray, *, channels_last: bool = True) -> np.ndarray:
    """H×W×3 uint8 → (sH)×(sW)×3 uint8 through the model in one pass (small images only)."""
    x = data.to_tensor(lr[None])
    if channels_last:
        x = x.contiguous(memory_format=torch.channels_last)
    y = model(x).clamp_(0, 1).mul_(255).round_()
    return y[0].permute(1, 2, 0).to(torch.uint8).numpy()


def checkpoint_upscale(model: torch.nn.Module) -> Callable[[np.ndarray], np.ndarray]:
    """Whole-image inference for evaluation (benchmark images are small enough)."""
    return lambda lr: super_resolve(model, lr, channels_last=True)
