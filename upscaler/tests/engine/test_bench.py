"""The bench's side-by-side mode runs each model in its own process and prints one row each."""

import torch

from upscaler.engine.archs import SPAN, SPANConfig, SRResNet, SRResNetConfig
from upscaler.engine.bench import main
from upscaler.engine.weights import save_weights


def test_models_are_compared_side_by_side(tmp_path, capsys):
    torch.manual_seed(0)
    save_weights(tmp_path / "tinyres-x4.safetensors", SRResNet(SRResNetConfig(scale=4, n_blocks=1, n_channels=4,
                                                                             norm="none")), {})
    save_weights(tmp_path / "tinyspan-x4.safetensors", SPAN(SPANConfig(scale=4, n_blocks=1, n_channels=4)), {})
    assert main(["--models", "tinyres,tinyspan", "--weights-dir", str(tmp_path), "--size", "16",
                 "--repeats", "1"]) == 0
    out = capsys.readouterr().out
    rows = [line for line in out.splitlines() if line.startswith(("tinyres", "tinyspan"))]
    assert [r.split()[0] for r in rows] == ["tinyres", "tinyspan"]
    assert rows[0].endswith("1.00×")
