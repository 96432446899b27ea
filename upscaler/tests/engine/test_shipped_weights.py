"""The weights this repository ships: they load strictly, say what they are, and beat bicubic.

Measured on a CC0 photo from the scikit-image wheel (never the research data sets), through the
served engine path (tiling included).
"""

import io

import numpy as np
import pytest
from PIL import Image

from upscaler.engine import EngineConfig, list_models, load_upscaler, read_image
from upscaler.engine.config import PACKAGE_WEIGHTS_DIR
from upscaler.engine.metrics import psnr_y
from upscaler.engine.weights import load_weights

SHIPPED = sorted(PACKAGE_WEIGHTS_DIR.glob("*.safetensors"))
PSNR_MODELS = [(m.name, s) for m in list_models(EngineConfig()) if m.kind == "srresnet"
               for s in m.scales if m.metadata[s].get("objective") == "psnr"]


def test_the_repository_ships_a_trained_psnr_model():
    assert SHIPPED and PSNR_MODELS


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_shipped_file_is_small_and_fully_described(path):
    assert path.stat().st_size <= 10 * 1024 * 1024
    _, metadata = load_weights(path)  # strict: checksum and keys
    for key in ("name", "scale", "hyperparameters", "training_data", "licence", "evaluation", "training"):
        assert metadata.get(key), key
    assert metadata["training"]["iterations"] > 0
    assert metadata["objective"] in ("psnr", "perceptual")


def _crop(name: str, size: int) -> np.ndarray:
    import skimage.data

    photo = np.asarray(getattr(skimage.data, name)())[..., :3]
    return np.ascontiguousarray(photo[:size, :size])


def _upscale(name: str, scale: int, lr: Image.Image, precision: str = "fp32") -> np.ndarray:
    encoded = io.BytesIO()
    lr.save(encoded, format="PNG")
    # A small tile forces several tiles: the served path, seams included.
    upscaler = load_upscaler(name, scale, EngineConfig(tile_size=32, threads=1, precision=precision))
    return np.asarray(upscaler(read_image(encoded.getvalue())).convert("RGB"))


@pytest.mark.slow
@pytest.mark.parametrize(("name", "scale"), PSNR_MODELS)
def test_shipped_psnr_model_beats_bicubic_on_a_cc0_photo(name, scale):
    hr = _crop("chelsea", 192)
    lr = Image.fromarray(hr).resize((192 // scale, 192 // scale), Image.Resampling.BICUBIC)
    ours = _upscale(name, scale, lr)
    bicubic = np.asarray(lr.resize((192, 192), Image.Resampling.BICUBIC))
    gain = psnr_y(ours, hr, border=scale) - psnr_y(bicubic, hr, border=scale)
    assert gain > 0.5, f"{name} x{scale} gains only {gain:.2f} dB over bicubic"


@pytest.mark.slow
@pytest.mark.parametrize(("name", "scale"), PSNR_MODELS)
def test_bf16_costs_the_shipped_models_almost_nothing(name, scale):
    """What makes bf16 the CPU default where the CPU has it: the same picture, measurably."""
    hr = _crop("astronaut", 192)
    lr = Image.fromarray(hr).resize((192 // scale, 192 // scale), Image.Resampling.BICUBIC)
    fp32, bf16 = _upscale(name, scale, lr), _upscale(name, scale, lr, "bf16")
    assert abs(psnr_y(fp32, hr, border=scale) - psnr_y(bf16, hr, border=scale)) < 0.05
    assert np.abs(fp32.astype(int) - bf16).max() <= 3
