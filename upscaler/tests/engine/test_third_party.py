"""Third-party models: spandrel validates a file before it is registered; garbage is refused."""

import numpy as np
import pytest
import torch
from PIL import Image

from upscaler.engine import EngineConfig, WeightsError, list_models, load_upscaler, read_image
from upscaler.engine.registry import register_model_file

from .conftest import encode, gradient_rgb, to_u8


def _tiny_compact_state_dict(scale: int = 2) -> dict:
    """A Real-ESRGAN "Compact" (SRVGGNetCompact) network small enough for a unit test."""
    from spandrel.architectures.Compact import Compact

    torch.manual_seed(0)
    return Compact(num_in_ch=3, num_out_ch=3, num_feat=4, num_conv=2, upscale=scale).state_dict()


@pytest.fixture
def third_party_dir(tmp_path):
    return tmp_path / "third-party"


@pytest.mark.parametrize("suffix", [".pth", ".safetensors"])
def test_register_detects_architecture_and_scale_then_serves_it(tmp_path, third_party_dir, suffix):
    src = tmp_path / f"4x_Someone_Compact{suffix}"
    state_dict = _tiny_compact_state_dict(scale=2)
    if suffix == ".pth":
        torch.save({"params": state_dict}, src)  # the BasicSR wrapping, unwrapped by spandrel
    else:
        from safetensors.torch import save_file

        save_file(state_dict, src)
    info = register_model_file(src, "compact-test", third_party_dir)
    assert (info.kind, info.scales) == ("spandrel", (2,))
    assert info.metadata[2]["architecture_id"] == "Compact"

    config = EngineConfig(weights_dirs=(tmp_path / "none",), third_party_dir=third_party_dir, tile_size=16)
    listed = {m.name: m for m in list_models(config)}
    assert listed["compact-test"].scales == (2,)
    upscaler = load_upscaler("compact-test", 2, config)
    assert upscaler.tile_overlap == config.tile_overlap  # reach unknown: the configured margin
    result = upscaler(read_image(encode(Image.fromarray(to_u8(gradient_rgb(30, 20))))))
    assert result.size == (60, 40) and result.mode == "RGB"
    assert np.asarray(result).std() > 0

    with pytest.raises(ValueError, match="already exists"):
        register_model_file(src, "compact-test", third_party_dir)


def test_garbage_and_unknown_files_are_rejected(tmp_path, third_party_dir):
    garbage = tmp_path / "model.pth"
    garbage.write_bytes(b"\x80\x04 definitely not a checkpoint")
    with pytest.raises(WeightsError, match="not a loadable weights file"):
        register_model_file(garbage, "garbage", third_party_dir)

    unknown = tmp_path / "unknown.pth"
    torch.save({"some.weight": torch.zeros(3, 3)}, unknown)
    with pytest.raises(WeightsError, match="unknown architecture"):
        register_model_file(unknown, "unknown", third_party_dir)

    script = tmp_path / "model.ckpt"
    script.write_bytes(b"")
    with pytest.raises(WeightsError, match=r"only \.pth and \.safetensors"):
        register_model_file(script, "script", third_party_dir)
    assert not third_party_dir.exists() or not any(third_party_dir.iterdir())


def test_pickles_that_run_code_are_refused(tmp_path, third_party_dir):
    class Exploit:
        def __reduce__(self):
            return (print, ("pwned",))

    evil = tmp_path / "evil.pth"
    torch.save({"body.0.weight": Exploit()}, evil, _use_new_zipfile_serialization=True)
    with pytest.raises(WeightsError, match="not a loadable weights file"):
        register_model_file(evil, "evil", third_party_dir)


def test_changed_file_after_registration_is_refused(tmp_path, third_party_dir):
    src = tmp_path / "c.pth"
    torch.save(_tiny_compact_state_dict(), src)
    info = register_model_file(src, "compact", third_party_dir)
    state_dict = _tiny_compact_state_dict()
    state_dict["body.0.bias"] += 1
    torch.save(state_dict, info.files[2])
    config = EngineConfig(weights_dirs=(), third_party_dir=third_party_dir)
    with pytest.raises(WeightsError, match="changed since it was registered"):
        load_upscaler("compact", 2, config)


def test_invalid_names_are_refused(tmp_path, third_party_dir):
    src = tmp_path / "c.pth"
    torch.save(_tiny_compact_state_dict(), src)
    for name in ("bicubic", "../escape", "Upper", ""):
        with pytest.raises(ValueError, match="invalid model name"):
            register_model_file(src, name, third_party_dir)
