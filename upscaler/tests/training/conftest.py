"""Fixtures for training tests: a small synthetic training set (never the shared datasets)."""

from pathlib import Path

import numpy as np
import pytest
from PIL import Image


@pytest.fixture(scope="session")
def synthetic_train_root(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("train")
    rng = np.random.default_rng(1)
    yy, xx = np.mgrid[0:48, 0:64]
    for i in range(24):
        # Smooth gradients plus stripes: learnable structure, unlike white noise.
        fx, fy = rng.uniform(0.05, 0.5, size=2)
        base = np.stack([np.sin(fx * xx + c) * np.cos(fy * yy - c) for c in (0.0, 1.0, 2.0)], axis=-1)
        img = ((base * 0.5 + 0.5) * 255).astype(np.uint8)
        Image.fromarray(img).save(root / f"img{i:02d}.png")
    return root
