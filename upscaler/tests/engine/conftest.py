"""Fixtures for engine tests: tiny seeded networks saved to tmp dirs, synthetic images.

Plain pytest: nothing here needs Django settings (pytest-django only configures Django when a
test asks for the database), so `pytest upscaler/tests/engine` runs alone or in the suite.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

TINY = {"n_blocks": 1, "n_channels": 4}


def make_tiny_srresnet(scale: int = 4, *, seed: int = 0, norm: str = "batch"):
    """A seeded 1-block, 4-channel SRResNet with non-trivial weights and BN statistics."""
    import torch

    from upscaler.engine.archs import SRResNet

    torch.manual_seed(seed)
    model = SRResNet(scale=scale, norm=norm, **TINY)
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, torch.nn.BatchNorm2d):
                module.running_mean.uniform_(-0.1, 0.1)
                module.running_var.uniform_(0.5, 1.5)
                module.weight.uniform_(0.5, 1.5)
                module.bias.uniform_(-0.1, 0.1)
        # The default tail init (std 1e-3) outputs near-constant images: make it visible.
        torch.nn.init.normal_(model.tail.weight, std=0.05)
        model.tail.bias.fill_(0.5)
    return model.eval()


def make_tiny_span(scale: int = 2, *, seed: int = 0):
    """A seeded 2-block, 8-channel SPAN in training form, with a tail strong enough to show (the
    default starts at the nearest-neighbour anchor)."""
    import torch

    from upscaler.engine.archs import SPAN, SPANConfig

    torch.manual_seed(seed)
    model = SPAN(SPANConfig(scale=scale, n_blocks=2, n_channels=8))
    with torch.no_grad():
        torch.nn.init.normal_(model.tail.weight, std=0.05)
    return model.eval()


@pytest.fixture(scope="session")
def tiny_weights_dir(tmp_path_factory) -> Path:
    """A weights dir holding `tiny` at x2 and x4 (our safetensors format)."""
    from upscaler.engine.weights import save_weights

    root = tmp_path_factory.mktemp("weights")
    for scale in (2, 4):
        save_weights(
            root / f"tiny-x{scale}.safetensors",
            make_tiny_srresnet(scale),
            {"description": "tiny test model", "licence": "MIT", "training_data": "none",
             "evaluation": {"Set5": {"psnr": 0.0}}},
        )
    return root


@pytest.fixture(scope="session")
def tiny_config(tiny_weights_dir):
    from upscaler.engine import EngineConfig

    # fp32: these tests compare outputs exactly (tiled vs whole, retries); reduced precision has
    # its own tests (test_fallbacks.py).
    return EngineConfig(weights_dirs=(tiny_weights_dir,), tile_size=24, min_tile_size=8, precision="fp32")


def gradient_rgb(width: int = 37, height: int = 29, seed: int = 0) -> np.ndarray:
    """Smooth colour gradients plus a little noise: edges and texture without being random."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    base = np.stack([xx / width, yy / height, 0.5 + 0.5 * np.sin((xx + yy) / 5)], axis=2)
    return np.clip(base + rng.normal(0, 0.03, base.shape), 0, 1)


def to_u8(values: np.ndarray) -> np.ndarray:
    return np.rint(values * 255).astype(np.uint8)


def encode(img: Image.Image, fmt: str = "PNG", **params) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format=fmt, **params)
    return buf.getvalue()
