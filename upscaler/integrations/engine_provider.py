"""The only bridge between Django settings and the engine: config, model list, cached upscalers.

Importing this module must not import torch: the web process only reads images and lists
models; `get_upscaler` (which may import torch) is called by job runners only.

Settings are read when first needed, never at import, and what is built from them is cached
until one of them changes (`setting_changed`, as DRF's api_settings does) or `reset()`.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

from upscaler import engine

if TYPE_CHECKING:
    from upscaler.engine import EngineConfig, ModelInfo, SourceImage

#: The settings EngineConfig is built from: a change of any drops every cache of this module.
ENGINE_SETTINGS = frozenset({
    "UPSCALER_WEIGHTS_DIRS", "UPSCALER_DEVICE", "UPSCALER_TILE_SIZE", "UPSCALER_TILE_OVERLAP",
    "UPSCALER_PRECISION", "UPSCALER_MAX_INPUT_PIXELS", "UPSCALER_MAX_OUTPUT_PIXELS", "UPSCALER_THREADS",
})

_upscalers: dict[tuple[str, int], object] = {}
_lock = threading.Lock()
# Its own lock: a rescan must not wait for a model that another thread is loading.
_list_lock = threading.Lock()
_config: EngineConfig | None = None


@dataclass
class _ModelList:
    """One scan of the weights directories, valid while they hold the same files."""

    config: EngineConfig
    files: tuple
    models: tuple[ModelInfo, ...]
    #: The engine's default model per scale, chosen from the same files (filled on first use).
    defaults: dict[int, str] = field(default_factory=dict)


_model_list: _ModelList | None = None


def get_engine_config() -> EngineConfig:
    global _config
    config = _config
    if config is None:
        config = engine.EngineConfig(
            weights_dirs=tuple(Path(d) for d in settings.UPSCALER_WEIGHTS_DIRS),
            device=settings.UPSCALER_DEVICE,
            tile_size=settings.UPSCALER_TILE_SIZE,
            tile_overlap=settings.UPSCALER_TILE_OVERLAP,
            precision=settings.UPSCALER_PRECISION,
            max_input_pixels=settings.UPSCALER_MAX_INPUT_PIXELS,
            max_output_pixels=settings.UPSCALER_MAX_OUTPUT_PIXELS,
            threads=settings.UPSCALER_THREADS,
        )
        _config = config  # two first calls at once build equal configs: either may stay
    return config


def _weights_files(config: EngineConfig) -> tuple:
    """Name, size and mtime of every file in the weights directories. Listing a folder costs a
    fraction of reading each file's header, and it notices a model added, replaced or removed
    by any process (a registration, a training export, a deploy) without a restart."""
    files = []
    for directory in config.all_weights_dirs:
        try:
            with os.scandir(directory) as entries:
                listed = sorted((e.name, (st := e.stat()).st_size, st.st_mtime_ns) for e in entries)
        except (FileNotFoundError, NotADirectoryError):
            listed = None  # the registry skips it
        files.append((str(directory), listed))
    return tuple(files)


def _current_model_list() -> _ModelList:
    global _model_list
    config = get_engine_config()
    files = _weights_files(config)
    cached = _model_list
    if cached is not None and cached.config == config and cached.files == files:
        return cached
    with _list_lock:
        if _model_list is None or _model_list.config != config or _model_list.files != files:
            _model_list = _ModelList(config=config, files=files, models=tuple(engine.list_models(config)))
        return _model_list


def list_models() -> list[ModelInfo]:
    """bicubic, our generators, registered third-party models; scanned again only when a
    weights file changed (the list is shared: callers must not modify its ModelInfo objects)."""
    return list(_current_model_list().models)


def get_model(name: str) -> ModelInfo | None:
    return next((m for m in list_models() if m.name == name), None)


def default_model_name(scale: int) -> str:
    """UPSCALER_DEFAULT_MODEL when set (it must then offer `scale`: the caller validates),
    else the engine's choice: our first trained model with that scale, or bicubic."""
    if settings.UPSCALER_DEFAULT_MODEL:
        return settings.UPSCALER_DEFAULT_MODEL
    from upscaler.engine.registry import default_model_among

    current = _current_model_list()
    name = current.defaults.get(scale)
    if name is None:
        # The engine's choice among this scan's models, remembered with it.
        name = current.defaults[scale] = default_model_among(current.models, scale)
    return name


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
    """Forget the cached config, model list and upscalers (the next call reads the settings)."""
    global _config, _model_list
    with _lock, _list_lock:
        _upscalers.clear()
        _config = None
        _model_list = None


@receiver(setting_changed)
def _engine_setting_changed(*, setting: str, **kwargs) -> None:
    # Fired by override_settings and pytest-django's `settings` fixture; never in production.
    if setting in ENGINE_SETTINGS:
        reset()


def loaded_models() -> list[str]:
    """"model:scale" of the upscalers this process has loaded (reported in worker heartbeats)."""
    with _lock:
        return sorted(f"{name}:{scale}" for name, scale in _upscalers)
