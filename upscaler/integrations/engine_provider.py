"""The only bridge between Django settings and the engine: config, model list, cached upscalers.

Importing this module must not import torch: the web process only reads images and lists
models; `get_upscaler` (which may import torch) is called by job runners only.
"""

from __future__ import annotations

import threading
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from django.conf import settings

from upscaler import engine

if TYPE_CHECKING:
    from upscaler.engine import EngineConfig, ModelInfo, SourceImage

_upscalers: dict[tuple[str, int], object] = {}
_lock = threading.Lock()


@cache
def get_engine_config() -> EngineConfig:
    return engine.EngineConfig(
        weights_dirs=tuple(Path(d) for d in settings.UPSCALER_WEIGHTS_DIRS),
        device=settings.UPSCALER_DEVICE,
        tile_size=settings.UPSCALER_TILE_SIZE,
        tile_overlap=settings.UPSCALER_TILE_OVERLAP,
        precision=settings.UPSCALER_PRECISION,
        max_input_pixels=settings.UPSCALER_MAX_INPUT_PIXELS,
        max_output_pixels=settings.UPSCALER_MAX_OUTPUT_PIXELS,
        threads=settings.UPSCALER_THREADS,
    )


def list_models() -> list[ModelInfo]:
    return list(engine.list_models(get_engine_config()))


def get_model(name: str) -> ModelInfo | None:
    return next((m for m in list_models() if m.name == name), None)


def default_model_name(scale: int) -> str:
    """UPSCALER_DEFAULT_MODEL when set (it must then offer `scale`: the caller validates),
    else the engine's choice: our first trained model with that scale, or bicubic."""
    if settings.UPSCALER_DEFAULT_MODEL:
        return settings.UPSCALER_DEFAULT_MODEL
    from upscaler.engine.registry import default_model_name as engine_default

    return engine_default(scale, get_engine_config())


def read_image(source) -> SourceImage:
    """Decode an upload (torch-free); raises the engine's UnsupportedImageError/ImageTooLargeError."""
    return engine.read_image(source, max_pixels=get_engine_config().max_input_pixels)


def get_upscaler(name: str, scale: int):
    """One Upscaler per (model, scale) per process, loaded lazily on first use (never at import)."""
    key = (name, scale)
    upscaler = _upscalers.get(key)
    if upscaler is None:
        with _lock:
            upscaler = _upscalers.get(key)
            if upscaler is None:
                upscaler = engine.load_upscaler(name, scale, get_engine_config())
                _upscalers[key] = upscaler
    return upscaler


def reset() -> None:
    """Forget the cached config and upscalers (tests that change settings call this)."""
    with _lock:
        _upscalers.clear()
        get_engine_config.cache_clear()


def loaded_models() -> list[str]:
    """"model:scale" of the upscalers this process has loaded (reported in worker heartbeats)."""
    with _lock:
        return sorted(f"{name}:{scale}" for name, scale in _upscalers)
