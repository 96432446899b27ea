"""Torch backends for the Upscaler: our SRResNet files and spandrel third-party models.

Tensor contract of TorchBackend.forward: in, an H×W×3 float32 numpy array in [0, 1] on the host
(one tile); it becomes a 1×3×H×W channels_last tensor (the HWC array already has that memory
layout, so no copy) moved to the device; out, an (H·s)×(W·s)×3 float32 host array, unclamped.
Only one tile is on the device at a time. Runs under inference_mode; nothing per call is stored.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from upscaler.engine.archs.srresnet import SRResNetConfig
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


def receptive_field_radius(config: SRResNetConfig) -> int:
    """How many input pixels away an output pixel can see, for SRResNet (ceil, in LR pixels).

    head k//2, then two k//2 per residual block and one for the body conv, all at LR; each
    sub-pixel conv adds k//2 at its own resolution, the tail k//2 at HR (hence the divisions).
    SRResNet-16 x4: 4 + 32 + 1 + (1 + 1/2) + 4/4 = 39.5 → 40.
    """
    big, small = config.large_kernel // 2, config.small_kernel // 2
    radius = float(big + 2 * small * config.n_blocks + small)
    resolution = 1
    for factor in config.upsample_factors:
        radius += small / resolution
        resolution *= factor
    radius += big / resolution
    return math.ceil(radius)


class TorchBackend:
    def __init__(
        self,
        model: torch.nn.Module,
        *,
        device: torch.device,
        dtype: torch.dtype,
        scale: int,
        receptive_radius: int | None,
        pad: Callable[[torch.Tensor], torch.Tensor] | None = None,
    ) -> None:
        self.model = model
        self.torch_device = device
        self.device = str(device)
        self.dtype = dtype
        self.scale = scale
        self.receptive_radius = receptive_radius
        self._pad = pad

    def _forward_tensor(self, x: torch.Tensor) -> torch.Tensor:
        if self._pad is None:
            return self.model(x)
        h, w = x.shape[-2:]
        return self.model(self._pad(x))[..., : h * self.scale, : w * self.scale]

    def forward(self, colour: np.ndarray) -> np.ndarray:
        x = torch.from_numpy(np.ascontiguousarray(colour, dtype=np.float32)).permute(2, 0, 1).unsqueeze(0)
        with torch.inference_mode():
            x = x.to(self.torch_device, non_blocking=True)
            y = run_guarded(self._forward_tensor, x, self.dtype)
            return y[0].permute(1, 2, 0).contiguous().cpu().numpy()

    def is_out_of_memory(self, exc: BaseException) -> bool:
        return is_out_of_memory(exc)

    def release_memory(self) -> None:
        release_memory(self.torch_device)

    def warm_up(self) -> None:
        rng = np.random.default_rng(0)
        self.forward(rng.random((WARM_UP_SIZE, WARM_UP_SIZE, 3), dtype=np.float32))


def _size_padder(requirements: Any) -> Callable[[torch.Tensor], torch.Tensor] | None:
    """Replicate-pad a tile to what a spandrel architecture accepts (multiple of, minimum, square)."""
    if requirements is None or requirements.none:
        return None

    def pad(x: torch.Tensor) -> torch.Tensor:
        h, w = x.shape[-2:]
        multiple = requirements.multiple_of
        th = max(requirements.minimum, math.ceil(h / multiple) * multiple)
        tw = max(requirements.minimum, math.ceil(w / multiple) * multiple)
        if requirements.square:
            th = tw = max(th, tw)
        if (th, tw) == (h, w):
            return x
        return F.pad(x, (0, tw - w, 0, th - h), mode="replicate")

    return pad


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
        model, _metadata = load_generator(path)
        radius = receptive_field_radius(model.config)
        pad = None
    elif info.kind == "spandrel":
        record = info.metadata[scale]
        if record.get("sha256") and file_sha256(path) != record["sha256"]:
            raise WeightsError(f"{path.name}: file changed since it was registered (sha256 mismatch)")
        descriptor = load_third_party(path)
        if descriptor.scale != scale:
            raise WeightsError(f"{path.name}: is x{descriptor.scale}, registered as x{scale}")
        model, radius = descriptor.model, None
        pad = _size_padder(descriptor.size_requirements)
        if dtype == torch.bfloat16 and not descriptor.supports_bfloat16:
            # fp16 is only worth it on a GPU; CPUs emulate it.
            dtype = torch.float16 if descriptor.supports_half and device.type == "cuda" else torch.float32
        if dtype == torch.float16 and not descriptor.supports_half:
            dtype = torch.float32
    else:
        raise WeightsError(f"model kind {info.kind!r} is not a network")
    backend = TorchBackend(
        prepare_model(model, device), device=device, dtype=dtype, scale=scale, receptive_radius=radius, pad=pad
    )
    backend.warm_up()
    logger.info("loaded %s x%d on %s (%s, %d threads)", info.name, scale, device, dtype, torch.get_num_threads())
    return backend
