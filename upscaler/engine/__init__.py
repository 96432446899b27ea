"""The inference engine: pure PyTorch + Pillow, no Django. Public API re-exported here.

Importing this package imports neither torch nor Django (names resolve lazily; torch is loaded by
load_upscaler for network models only), so web processes can list models and read images cheaply.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

_EXPORTS = {
    "EngineConfig": "upscaler.engine.config",
    "SUPPORTED_SCALES": "upscaler.engine.config",
    "EngineError": "upscaler.engine.errors",
    "UnsupportedImageError": "upscaler.engine.errors",
    "ImageTooLargeError": "upscaler.engine.errors",
    "EngineOutOfMemoryError": "upscaler.engine.errors",
    "WeightsError": "upscaler.engine.errors",
    "UnknownModelError": "upscaler.engine.errors",
    "ModelInfo": "upscaler.engine.registry",
    "list_models": "upscaler.engine.registry",
    "register_model_file": "upscaler.engine.registry",
    "read_image": "upscaler.engine.imageio",
    "SourceImage": "upscaler.engine.imageio",
    "write_image": "upscaler.engine.imageio",
    "load_upscaler": "upscaler.engine.upscaler",
    "Upscaler": "upscaler.engine.upscaler",
    "save_weights": "upscaler.engine.weights",
    "load_weights": "upscaler.engine.weights",
}

__all__ = [
    "EngineConfig",
    "EngineError",
    "EngineOutOfMemoryError",
    "ImageTooLargeError",
    "ModelInfo",
    "SourceImage",
    "UnknownModelError",
    "UnsupportedImageError",
    "Upscaler",
    "WeightsError",
    "list_models",
    "load_upscaler",
    "load_weights",
    "read_image",
    "register_model_file",
    "save_weights",
    "write_image",
]

if TYPE_CHECKING:
    from upscaler.engine.config import EngineConfig
    from upscaler.engine.errors import (
        EngineError,
        EngineOutOfMemoryError,
        ImageTooLargeError,
        UnknownModelError,
        UnsupportedImageError,
        WeightsError,
    )
    from upscaler.engine.imageio import SourceImage, read_image, write_image
    from upscaler.engine.registry import ModelInfo, list_models, register_model_file
    from upscaler.engine.upscaler import Upscaler, load_upscaler
    from upscaler.engine.weights import load_weights, save_weights


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'upscaler.engine' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
