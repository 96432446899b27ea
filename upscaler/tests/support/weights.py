"""Model files for the Django-side tests: headers that list a model without being runnable (all
that listing and choosing read), and tiny real networks where a job must run."""

from __future__ import annotations

import json
import struct
from pathlib import Path

#: What training/export.py writes of a photo model's training: the default (clean) model is
#: never one trained on degradations while a clean one offers the scale.
PHOTO_TRAINING = {"training": {"config": {"degradation": "photo"}}}


def write_weights_header(path: Path, name: str, scale: int, objective: str = "psnr", **metadata) -> Path:
    """A safetensors file with our metadata and no tensors: listed by the registry, never loaded."""
    metadata = {"name": name, "architecture": "SRResNet", "hyperparameters": {}, "scale": scale,
                "objective": objective, **metadata}
    header = json.dumps({"__metadata__": {"srsite": json.dumps(metadata)}}).encode()
    path.write_bytes(struct.pack("<Q", len(header)) + header)
    return path


def write_clean_and_photo_models(folder: Path, *, photo_scales=(4,)) -> None:
    """srresnet at x2 and x4 (the clean default) and a `photo` model at `photo_scales` (x4 only:
    as it will first ship), as headers."""
    for scale in (2, 4):
        write_weights_header(folder / f"srresnet-x{scale}.safetensors", "srresnet", scale)
    for scale in photo_scales:
        write_weights_header(folder / f"photo-x{scale}.safetensors", "photo", scale, **PHOTO_TRAINING)


def save_tiny_model(folder: Path, name: str, scale: int, **metadata) -> Path:
    """A runnable 1-block, 4-channel SRResNet saved as `name` (imports torch)."""
    import torch

    from upscaler.engine.archs import SRResNet
    from upscaler.engine.weights import save_weights

    torch.manual_seed(0)
    network = SRResNet(scale=scale, n_blocks=1, n_channels=4).eval()
    with torch.no_grad():
        # The default tail starts near zero (a grey image): give the output something to show.
        torch.nn.init.normal_(network.tail.weight, std=0.05)
        network.tail.bias.fill_(0.5)
    return save_weights(folder / f"{name}-x{scale}.safetensors", network, {"name": name, **metadata})
