"""Torch backends for the Upscaler: our generators (SRResNet, SPAN) and spandrel third-party models.

Tensor contract of TorchBackend.forward: in, an H×W×3 float32 numpy array in [0, 1] on the host
(one tile); it becomes a 1×3×H×W channels_last tensor (the HWC array already has that memory
layout, so no copy) moved to the device; out, an (H·s)×(W·s)×3 float32 host array, unclamped for
our networks (spandrel's call clamps to [0, 1]). Only one tile is on the device at a time. Runs
under inference_mode; nothing per call is stored.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch

from upscaler.engine.config import EngineConfig
from upscaler.engine.device import (
    is_out_of_memory,
    release_memory,
    resolve_device,
    resolve_dtype,
    run_guarded,
)
from upscaler.engine.errors import WeightsError
from upscaler.engine.optimize import prepare_model, tune_allocator
from upscaler.engine.registry import ModelInfo
from upscaler.engine.weights import file_sha256, load_generator, load_third_party

logger = logging.getLogger(__name__)

#: Side of the random image pushed through at load so the first request pays no lazy init.
WARM_UP_SIZE = 32


class TorchBackend:
    """One prepared network on one device. `model` is the nn.Module (what bench inspects); `call`
    is how a tile runs through it: the module itself, or a spandrel descriptor wrapping it."""

    def __init__(
        self,
        model: torch.nn.Module,
        *,
        device: torch.device,
        dtype: torch.dtype,
        scale: int,
        receptive_radius: int | None,
        call: Callable[[torch.Tensor], torch.Tensor] | None = None,
    ) -> None:
        self.model = model
        self.torch_device = device
        self.device = str(device)
        self.dtype = dtype
        self.scale = scale
        self.receptive_radius = receptive_radius
        self._call = call

    def forward(self, colour: np.ndarray) -> np.ndarray:
        x = torch.from_numpy(np.ascontiguousarray(colour, dtype=np.float32)).permute(2, 0, 1).unsqueeze(0)
        run = self.model if self._call is None else self._call
        with torch.inference_mode():
            x = x.to(self.torch_device, non_blocking=True)
            y = run_guarded(run, x, self.dtype)
            return y[0].permute(1, 2, 0).contiguous().cpu().numpy()

    def is_out_of_memory(self, exc: BaseException) -> bool:
        return is_out_of_memory(exc)

    def release_memory(self) -> None:
        release_memory(self.torch_device)

    def warm_up(self) -> None:
        rng = np.random.default_rng(0)
        self.forward(rng.random((WARM_UP_SIZE, WARM_UP_SIZE, 3), dtype=np.float32))


def _our_backend(path: Path, scale: int, device: torch.device, dtype: torch.dtype) -> TorchBackend:
    """SRResNet or SPAN from our safetensors; its exact radius makes tiles equal the whole image."""
    model, _metadata = load_generator(path)
    return TorchBackend(prepare_model(model, device), device=device, dtype=dtype, scale=scale,
                        receptive_radius=model.config.receptive_radius)


def _third_party_dtype(descriptor: Any, dtype: torch.dtype, device: torch.device) -> torch.dtype:
    """The requested dtype, or the nearest one the architecture supports."""
    if dtype == torch.bfloat16 and not descriptor.supports_bfloat16:
        # fp16 is only worth it on a GPU; CPUs emulate it.
        dtype = torch.float16 if descriptor.supports_half and device.type == "cuda" else torch.float32
    if dtype == torch.float16 and not descriptor.supports_half:
        dtype = torch.float32
    return dtype


def _third_party_backend(
    info: ModelInfo, path: Path, scale: int, device: torch.device, dtype: torch.dtype
) -> TorchBackend:
    """A registered spandrel file, run through its descriptor (size padding, call_fn, crop, clamp);
    its reach is unknown, so tiles get the configured overlap."""
    record = info.metadata[scale]
    if record.get("sha256") and file_sha256(path) != record["sha256"]:
        raise WeightsError(f"{path.name}: file changed since it was registered (sha256 mismatch)")
    descriptor = load_third_party(path)
    if descriptor.scale != scale:
        raise WeightsError(f"{path.name}: is x{descriptor.scale}, registered as x{scale}")
    # In place (nn.Module.to and friends return self): the descriptor now wraps the prepared module.
    model = prepare_model(descriptor.model, device)
    return TorchBackend(model, device=device, dtype=_third_party_dtype(descriptor, dtype, device), scale=scale,
                        receptive_radius=None, call=descriptor)


def load_backend(info: ModelInfo, scale: int, config: EngineConfig) -> TorchBackend:
    """Build, optimise, place and warm up the network for (model, scale)."""
    if config.threads is not None:
        torch.set_num_threads(config.threads)
    device = resolve_device(config.device)
    dtype = resolve_dtype(config.precision, device)
    if config.tune_allocator:
        tune_allocator()
    path = info.files[scale]
    if info.kind == "srresnet":
        backend = _our_backend(path, scale, device, dtype)
    elif info.kind == "spandrel":
        backend = _third_party_backend(info, path, scale, device, dtype)
    else:
        raise WeightsError(f"model kind {info.kind!r} is not a network")
    backend.warm_up()
    logger.info("loaded %s x%d on %s (%s, %d threads)", info.name, scale, device, backend.dtype,
                torch.get_num_threads())
    return backend
