"""Weights: metadata round-trip, strict loading that names keys, corruption, BN folding."""

import json

import pytest
import torch

from upscaler.engine import EngineConfig, WeightsError, list_models, load_weights, save_weights
from upscaler.engine.optimize import fold_batch_norm, prepare_model
from upscaler.engine.registry import default_model_name
from upscaler.engine.weights import load_generator, load_state_dict_strict, read_metadata

from .conftest import make_tiny_span, make_tiny_srresnet


def test_save_and_load_keep_tensors_and_metadata(tmp_path):
    model = make_tiny_srresnet(4)
    path = save_weights(tmp_path / "srresnet-x4.safetensors", model,
                        {"training_data": "DIV2K", "evaluation": {"Set5": {"psnr": 30.1}}, "licence": "CC-BY-4.0"})
    state_dict, metadata = load_weights(path)
    assert metadata["name"] == "srresnet" and metadata["scale"] == 4
    assert metadata["architecture"] == "SRResNet"
    assert metadata["hyperparameters"]["n_channels"] == 4
    assert metadata["evaluation"]["Set5"]["psnr"] == 30.1
    assert len(metadata["sha256"]) == 64
    assert all(torch.equal(state_dict[k], v) for k, v in model.state_dict().items())
    assert read_metadata(path) == metadata  # torch-free header read agrees


def test_metadata_may_not_contradict_the_model(tmp_path):
    with pytest.raises(WeightsError, match="scale"):
        save_weights(tmp_path / "x.safetensors", make_tiny_srresnet(4), {"scale": 2})


def test_mismatch_names_the_keys(tmp_path):
    state_dict = make_tiny_srresnet(4).state_dict()
    state_dict["extra.weight"] = torch.zeros(1)
    del state_dict["tail.bias"]
    state_dict["head.0.weight"] = torch.zeros(5, 3, 9, 9)
    with pytest.raises(WeightsError) as info:
        load_state_dict_strict(make_tiny_srresnet(4), state_dict, source="file.safetensors")
    message = str(info.value)
    assert "missing keys: tail.bias" in message
    assert "unexpected keys: extra.weight" in message
    assert "head.0.weight (file (5, 3, 9, 9), model (4, 3, 9, 9))" in message


def test_file_whose_hyperparameters_lie_fails_loudly(tmp_path):
    path = save_weights(tmp_path / "liar-x4.safetensors", make_tiny_srresnet(4))
    from safetensors.torch import load_file, save_file

    metadata = read_metadata(path)
    metadata["hyperparameters"]["n_blocks"] = 2  # file has one block
    save_file(load_file(path), path, metadata={"srsite": json.dumps(metadata)})
    with pytest.raises(WeightsError, match=r"missing keys: body\.1\."):
        load_generator(path)


def test_corrupted_tensors_fail_the_checksum(tmp_path):
    path = save_weights(tmp_path / "c-x4.safetensors", make_tiny_srresnet(4))
    data = bytearray(path.read_bytes())
    data[-3] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(WeightsError, match="sha256"):
        load_weights(path)


def test_registry_lists_our_files_by_name_and_scale(tiny_weights_dir, tmp_path):
    (tmp_path / "garbage.safetensors").write_bytes(b"not a safetensors file at all")
    models = {m.name: m for m in list_models(EngineConfig(weights_dirs=(tiny_weights_dir, tmp_path)))}
    assert set(models) == {"bicubic", "tiny"}
    assert models["bicubic"].scales == (2, 3, 4, 8)
    assert models["tiny"].scales == (2, 4) and models["tiny"].kind == "srresnet"
    assert models["tiny"].evaluation[4] == {"Set5": {"psnr": 0.0}}


def test_default_model_prefers_a_psnr_model_over_a_gan(tmp_path):
    config = EngineConfig(weights_dirs=(tmp_path,))
    assert default_model_name(4, config) == "bicubic"  # no trained file: never a random network
    # "srgan" sorts first and is listed first; the PSNR model must still be the default.
    save_weights(tmp_path / "srgan-x4.safetensors", make_tiny_srresnet(4), {"objective": "perceptual"})
    assert default_model_name(4, config) == "srgan"
    save_weights(tmp_path / "srresnet-x4.safetensors", make_tiny_srresnet(4), {"objective": "psnr"})
    assert [m.name for m in list_models(config)] == ["bicubic", "srgan", "srresnet"]
    assert default_model_name(4, config) == "srresnet"
    assert default_model_name(2, config) == "bicubic"


def test_the_default_is_the_clean_model_even_when_a_photo_model_sorts_first(tmp_path):
    config = EngineConfig(weights_dirs=(tmp_path,))
    photo = {"objective": "psnr", "training": {"config": {"degradation": "photo"}}}
    save_weights(tmp_path / "photo-x4.safetensors", make_tiny_srresnet(4), photo)
    assert default_model_name(4, config) == "photo"  # the only trained x4 model: better than bicubic
    save_weights(tmp_path / "srresnet-x4.safetensors", make_tiny_srresnet(4), {"objective": "psnr"})
    assert default_model_name(4, config) == "srresnet"


def test_empty_package_weights_dir_lists_only_bicubic(tmp_path):
    assert [m.name for m in list_models(EngineConfig(weights_dirs=(tmp_path / "absent",)))] == ["bicubic"]


@pytest.mark.parametrize(("scale", "norm"), [(2, "batch"), (3, "batch"), (4, "batch"), (8, "batch"), (4, "none")])
def test_optimised_model_computes_the_same_function(scale, norm):
    """BN folding, in-place skips, PReLU before shuffle and the sub-pixel tail change nothing."""
    model = make_tiny_srresnet(scale, norm=norm)
    x = torch.rand(1, 3, 13, 11)
    fast = prepare_model(model, torch.device("cpu"))
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in fast.modules())
    assert any(isinstance(m, torch.nn.BatchNorm2d) for m in model.modules()) == (norm == "batch")
    with torch.inference_mode():
        expected = model(x)
        assert torch.allclose(fold_batch_norm(model)(x), expected, atol=1e-5)
        assert torch.allclose(fast(x.contiguous(memory_format=torch.channels_last)), expected, atol=1e-5)


def test_batch_norm_is_folded_by_torchs_own_fusion():
    from torch.nn.utils.fusion import fuse_conv_bn_eval

    model = make_tiny_srresnet(4)
    folded = fold_batch_norm(model)
    pairs = [(folded.body[0].conv1, model.body[0].conv1, model.body[0].bn1),
             (folded.body[0].conv2, model.body[0].conv2, model.body[0].bn2),
             (folded.body_conv, model.body_conv, model.body_norm)]
    for conv, original, bn in pairs:
        expected = fuse_conv_bn_eval(original, bn)
        assert torch.equal(conv.weight, expected.weight) and torch.equal(conv.bias, expected.bias)
    assert all(isinstance(b.bn1, torch.nn.Identity) for b in folded.body)


def test_a_span_is_stored_fused_and_loads_as_the_served_form(tmp_path):
    from upscaler.engine.archs import SPAN

    model = make_tiny_span(4)
    path = save_weights(tmp_path / "span-x4.safetensors", model, {"description": "tiny SPAN"})
    assert not model.is_fused  # the caller's model is left as it was
    state_dict, metadata = load_weights(path)
    assert metadata["architecture"] == "SPAN" and metadata["scale"] == 4
    assert metadata["hyperparameters"] == model.config.to_dict()
    assert not any("expand" in key or "squeeze" in key for key in state_dict)  # no training branches
    loaded, _ = load_generator(path)
    assert isinstance(loaded, SPAN) and loaded.is_fused
    x = torch.rand(1, 3, 11, 9)
    with torch.no_grad():
        assert torch.allclose(loaded(x), model(x), atol=1e-5)
    info = {m.name: m for m in list_models(EngineConfig(weights_dirs=(tmp_path,)))}["span"]
    assert info.kind == "srresnet" and info.scales == (4,)  # our own file, whatever the network


def test_a_span_file_that_lies_about_its_width_fails_loudly(tmp_path):
    from safetensors.torch import load_file, save_file

    path = save_weights(tmp_path / "span-x2.safetensors", make_tiny_span(2))
    metadata = read_metadata(path)
    metadata["hyperparameters"]["n_channels"] = 16
    save_file(load_file(path), path, metadata={"srsite": json.dumps(metadata)})
    with pytest.raises(WeightsError, match=r"not fit SPAN: shape mismatch: .*head\.weight \(file \(8, 3, 3, 3\)"):
        load_generator(path)


def test_only_our_architectures_are_saved(tmp_path):
    with pytest.raises(WeightsError, match="SRResNet and SPAN"):
        save_weights(tmp_path / "x-x2.safetensors", torch.nn.Conv2d(3, 3, 1))


def test_preparing_a_span_fuses_a_copy_and_keeps_its_function():
    from upscaler.engine.optimize import InferenceSRResNet

    model = make_tiny_span(3)
    fast = prepare_model(model, torch.device("cpu"))
    assert fast is not model and fast.is_fused and not model.is_fused
    assert not isinstance(fast, InferenceSRResNet)  # SRResNet's graph rewrite is not for SPAN
    x = torch.rand(1, 3, 10, 7)
    with torch.inference_mode():
        assert torch.allclose(fast(x.contiguous(memory_format=torch.channels_last)), model(x), atol=1e-5)


def test_models_have_labels_for_people_which_a_file_may_set(tmp_path):
    from upscaler.engine.registry import ModelInfo, photo_model_name

    config = EngineConfig(weights_dirs=(tmp_path,))
    save_weights(tmp_path / "srresnet-x4.safetensors", make_tiny_srresnet(4))
    save_weights(tmp_path / "photo-x4.safetensors", make_tiny_srresnet(4), {"label": "Phone photos"})
    save_weights(tmp_path / "mine-x2.safetensors", make_tiny_srresnet(2))
    labels = {m.name: m.label for m in list_models(config)}
    assert labels == {"bicubic": "Bicubic (baseline)", "srresnet": "Faithful", "photo": "Phone photos", "mine": "mine"}
    third_party = ModelInfo(name="esrgan", scales=(4,), description="", kind="spandrel", metadata={4: {}})
    assert third_party.label == "esrgan"
    assert photo_model_name(list_models(config), 4) == "photo"
    assert photo_model_name(list_models(config), 2) is None
