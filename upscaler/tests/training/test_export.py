"""Export: a tiny trained run becomes a weights file that the engine serves, SPAN fused; the
checkpoint helpers live in checkpoint.py, so the training modules import in one direction."""

import io

import grimp
import numpy as np
import pytest
from PIL import Image

from upscaler.engine import EngineConfig, load_upscaler, read_image
from upscaler.engine.weights import load_weights
from upscaler.training.checkpoint import checkpoint_upscale, model_from_checkpoint
from upscaler.training.config import TrainConfig
from upscaler.training.export import export_run
from upscaler.training.train import Trainer


def _trained_run(run_dir, root, arch: str) -> None:
    config = TrainConfig(arch=arch, scale=2, n_blocks=1, n_channels=8, lr_patch=8, batch_size=4, iterations=6,
                         val_every=6, threads=1, train_root=str(root), checkpoint_minutes=60)
    Trainer(run_dir, config).run(show_progress=False)


def _lr_image(seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:30, 0:38]
    base = np.stack([np.sin(xx / 4 + c) * np.cos(yy / 5 - c) for c in (0.0, 1.0, 2.0)], axis=-1) * 0.4 + 0.5
    return np.clip((base + rng.normal(0, 0.03, base.shape)) * 255, 0, 255).astype(np.uint8)


@pytest.mark.parametrize(("arch", "architecture"), [("span", "SPAN"), ("srresnet", "SRResNet")])
def test_an_exported_run_is_served_by_the_engine_as_it_was_trained(tmp_path, synthetic_train_root, arch, architecture):
    run_dir, weights = tmp_path / "run", tmp_path / "weights"
    _trained_run(run_dir, synthetic_train_root, arch)
    metadata = export_run(run_dir, weights / f"{arch}-x2.safetensors", family=arch, evaluate_benchmarks=False)
    assert metadata["description"] and metadata["training"]["iterations"] == 6
    state_dict, stored = load_weights(weights / f"{arch}-x2.safetensors")
    assert stored["architecture"] == architecture and stored["scale"] == 2
    if arch == "span":
        assert stored["hyperparameters"]["n_channels"] == 8
        assert not any("expand" in key for key in state_dict)  # the fused form, no training branches

    lr = _lr_image()
    network, _ = model_from_checkpoint(run_dir / "checkpoint.pt")
    expected = checkpoint_upscale(network)(lr).astype(int)
    encoded = io.BytesIO()
    Image.fromarray(lr).save(encoded, "PNG")
    upscaler = load_upscaler(arch, 2, EngineConfig(weights_dirs=(weights,), tile_size=16, precision="fp32"))
    served = np.asarray(upscaler(read_image(encoded.getvalue()))).astype(int)
    assert served.shape == expected.shape == (60, 76, 3)
    assert np.abs(served - expected).max() <= 1  # tiles, fusion and channels_last change nothing


def test_no_training_or_engine_modules_import_each_other_in_a_circle():
    """Deferred imports count: grimp reads the imports inside functions too."""
    graph = grimp.build_graph("upscaler", include_external_packages=False)
    modules = sorted(m for m in graph.modules if m.startswith(("upscaler.training", "upscaler.engine")))
    circles = [(a, b) for i, a in enumerate(modules) for b in modules[i + 1:]
               if graph.chain_exists(importer=a, imported=b) and graph.chain_exists(importer=b, imported=a)]
    assert circles == []
