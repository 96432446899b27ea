"""Third-party models: spandrel validates a file before it is registered; garbage is refused; a
registered model runs through spandrel's own call (size padding, call_fn, crop, clamp), tiled too."""

import numpy as np
import pytest
import torch
from PIL import Image

from upscaler.engine import EngineConfig, WeightsError, list_models, load_upscaler, read_image
from upscaler.engine.imageio import quantize
from upscaler.engine.registry import register_model_file
from upscaler.engine.weights import load_third_party

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


def _tiny_safmn_state_dict() -> dict:
    """SAFMN pools its features at 1/2, 1/4 and 1/8 size: spandrel says multiple_of=8."""
    from spandrel.architectures.SAFMN import SAFMN

    torch.manual_seed(0)
    return SAFMN(dim=8, n_blocks=1, ffn_scale=2.0, upscaling_factor=2).state_dict()


def _tiny_mmrealsr_state_dict() -> dict:
    """MMRealSR needs 16 px (minimum=16) and returns (image, degradations): spandrel's call_fn
    takes the image out of the tuple."""
    from spandrel.architectures.MMRealSR import MMRealSR

    torch.manual_seed(0)
    return MMRealSR(num_in_ch=3, num_out_ch=3, scale=4, num_feat=4, num_block=1, num_grow_ch=4,
                    num_feats=[4, 4], num_blocks=[1, 1], downscales=[2, 1]).state_dict()


SIZE_REQUIRING = {"safmn": (_tiny_safmn_state_dict, 2), "mmrealsr": (_tiny_mmrealsr_state_dict, 4)}


def _registered(tmp_path, third_party_dir, name: str, state_dict: dict):
    src = tmp_path / f"{name}.pth"
    torch.save(state_dict, src)
    return register_model_file(src, name, third_party_dir)


@pytest.mark.parametrize("arch", sorted(SIZE_REQUIRING))
def test_a_model_with_size_requirements_runs_as_spandrel_runs_it(tmp_path, third_party_dir, arch):
    make, scale = SIZE_REQUIRING[arch]
    info = _registered(tmp_path, third_party_dir, arch, make())
    descriptor = load_third_party(info.files[scale])
    assert not descriptor.size_requirements.none
    # 30×12: neither a multiple of 8 nor 16 px high, so spandrel must pad (and crop again).
    source = read_image(encode(Image.fromarray(to_u8(gradient_rgb(30, 12)))))
    config = EngineConfig(weights_dirs=(), third_party_dir=third_party_dir, tile_size=0, precision="fp32")
    ours = np.asarray(load_upscaler(arch, scale, config)(source)).astype(int)

    x = torch.from_numpy(np.asarray(source.image, dtype=np.float32) / 255).permute(2, 0, 1)[None]
    expected = quantize(descriptor(x)[0].permute(1, 2, 0).numpy(), 8).astype(int)
    assert ours.shape == expected.shape == (12 * scale, 30 * scale, 3)
    assert np.abs(ours - expected).max() <= 1


@pytest.mark.parametrize("arch", sorted(SIZE_REQUIRING))
def test_tiles_below_the_size_requirement_are_padded_tile_by_tile(tmp_path, third_party_dir, arch):
    make, scale = SIZE_REQUIRING[arch]
    _registered(tmp_path, third_party_dir, arch, make())
    # 8-px cores with 2 px of context: every tile is 12×12, below both requirements.
    config = EngineConfig(weights_dirs=(), third_party_dir=third_party_dir, tile_size=8, tile_overlap=2,
                          precision="fp32")
    calls = []
    result = load_upscaler(arch, scale, config)(read_image(encode(Image.fromarray(to_u8(gradient_rgb(30, 20))))),
                                                progress=lambda done, total: calls.append((done, total)))
    assert calls == [(i, 12) for i in range(1, 13)]  # 3 × 4 tiles of ≤ 8 px
    assert result.size == (30 * scale, 20 * scale) and np.asarray(result).std() > 0


def test_a_local_third_party_model_tiles_like_the_whole_image(tmp_path, third_party_dir):
    """Compact is convolutions only: the configured 40-px margin covers its reach."""
    _registered(tmp_path, third_party_dir, "compact", _tiny_compact_state_dict(scale=2))
    source = read_image(encode(Image.fromarray(to_u8(gradient_rgb(61, 47)))))
    outputs = []
    for tile_size in (0, 16):
        config = EngineConfig(weights_dirs=(), third_party_dir=third_party_dir, tile_size=tile_size,
                              precision="fp32")
        outputs.append(np.asarray(load_upscaler("compact", 2, config)(source)).astype(int))
    whole, tiled = outputs
    assert whole.shape == (94, 122, 3)
    assert np.abs(whole - tiled).max() <= 1
