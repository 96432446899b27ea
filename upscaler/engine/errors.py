"""Typed engine errors: str(error) is a message fit to show to the person who sent the image."""

from __future__ import annotations


class EngineError(Exception):
    """Base class of every error the engine raises on purpose."""


class UnsupportedImageError(EngineError):
    """The input is not an image we can read (empty, truncated, unknown format, odd mode)."""


class ImageTooLargeError(EngineError):
    """The input or the output would exceed the configured pixel budget (or Pillow's bomb guard)."""


class EngineOutOfMemoryError(EngineError):
    """The device ran out of memory even with the smallest allowed tile."""


class WeightsError(EngineError):
    """A weights file is missing, unsafe, corrupt or does not match its architecture."""


class UnknownModelError(EngineError):
    """No model of that name (or not at that scale) is registered."""
