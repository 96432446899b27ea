"""Training data: HR images from ../shared/datasets/train, random crops, LR by a degradation.

By default the degradation is the evaluation's (Pillow bicubic downscaling, which antialiases), so
the benchmark numbers measure what we trained for; the photo models draw their LR through the
random real-world chain of `degradations`. A few training images are held out for validation;
the benchmark sets are never read by this module.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from upscaler.training.degradation_presets import DegradationConfig
from upscaler.training.degradations import bicubic_downscale, degrade, to_uint8, unsharp_mask

IMAGE_SUFFIXES = {".png", ".bmp", ".jpg", ".jpeg"}
#: Every VAL_EVERY-th image (by sorted path) is held out for validation: ~5% of the 291 images.
VAL_EVERY = 20


def default_train_root() -> Path:
    """../shared/datasets/train relative to the repository (overridable on the command line)."""
    return Path(__file__).resolve().parents[3] / "shared" / "datasets" / "train"


def list_images(root: Path) -> list[Path]:
    paths = sorted(p for p in Path(root).rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES)
    if not paths:
        raise FileNotFoundError(f"no training images under {root}")
    return paths


def split_train_val(paths: list[Path]) -> tuple[list[Path], list[Path]]:
    val = paths[::VAL_EVERY]
    train = [p for i, p in enumerate(paths) if i % VAL_EVERY]
    return train, val


def load_rgb(path: Path) -> np.ndarray:
    with Image.open(path) as img:
        return np.asarray(img.convert("RGB"), dtype=np.uint8).copy()


def crop_to_multiple(hr: np.ndarray, scale: int) -> np.ndarray:
    h, w = hr.shape[:2]
    return hr[: h - h % scale, : w - w % scale]


def to_tensor(batch: np.ndarray) -> torch.Tensor:
    """N×H×W×3 uint8 → N×3×H×W float32 in [0, 1]."""
    return torch.from_numpy(batch).permute(0, 3, 1, 2).float().div_(255.0)


@dataclass
class PatchSampler:
    """Draws (LR, HR) batches of random crops with the 8 flips/rotations.

    `degradation` None makes LR by Pillow bicubic; a `DegradationConfig` draws each patch's LR
    through the random real-world chain (and sharpens its HR target when the config says so).
    All randomness comes from `self.rng`, a numpy Generator whose state is checkpointed, so a
    resumed run draws exactly the batches an uninterrupted run would have drawn.
    """

    images: list[np.ndarray]
    scale: int
    lr_patch: int
    batch_size: int
    rng: np.random.Generator
    degradation: DegradationConfig | None = None

    def __post_init__(self) -> None:
        hr_patch = self.lr_patch * self.scale
        self.images = [im for im in self.images if min(im.shape[:2]) >= hr_patch]
        if not self.images:
            raise ValueError(f"no training image is at least {hr_patch}px on its short side")
        # Sample images in proportion to their area so large images are not under-used.
        areas = np.array([im.shape[0] * im.shape[1] for im in self.images], dtype=np.float64)
        self.weights = areas / areas.sum()

    def sample(self) -> tuple[torch.Tensor, torch.Tensor]:
        hr_patch = self.lr_patch * self.scale
        hrs, lrs = [], []
        picks = self.rng.choice(len(self.images), size=self.batch_size, p=self.weights)
        for index in picks:
            img = self.images[index]
            y = int(self.rng.integers(0, img.shape[0] - hr_patch + 1))
            x = int(self.rng.integers(0, img.shape[1] - hr_patch + 1))
            patch = img[y : y + hr_patch, x : x + hr_patch]
            k = int(self.rng.integers(0, 4))
            patch = np.rot90(patch, k)
            if self.rng.integers(0, 2):
                patch = patch[:, ::-1]
            patch = np.ascontiguousarray(patch)
            if self.degradation is None:
                lrs.append(bicubic_downscale(patch, self.scale))
            else:
                lrs.append(degrade(patch, self.scale, self.degradation, self.rng))
                if self.degradation.usm_target:
                    patch = to_uint8(unsharp_mask(patch.astype(np.float32) / 255))
            hrs.append(patch)
        return to_tensor(np.stack(lrs)), to_tensor(np.stack(hrs))

    def get_state(self) -> dict:
        return self.rng.bit_generator.state

    def set_state(self, state: dict) -> None:
        self.rng.bit_generator.state = state


def dataset_fingerprint(paths: list[Path]) -> str:
    """Short hash of the file names used, recorded in checkpoints and weight metadata."""
    digest = hashlib.sha256("\n".join(p.name for p in paths).encode()).hexdigest()
    return digest[:16]
