"""GPU fallbacks, exercised on CPU by injecting failures: fp32 retry and OOM tile halving."""

import numpy as np
import pytest
import torch
from PIL import Image

from upscaler.engine import EngineOutOfMemoryError, device, load_upscaler, read_image
from upscaler.engine.device import is_out_of_memory, output_is_degenerate, resolve_dtype, run_guarded

from .conftest import encode, gradient_rgb, to_u8


def _source():
    return read_image(encode(Image.fromarray(to_u8(gradient_rgb(40, 32)))))


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), 0.0])
def test_reduced_precision_output_that_is_bad_is_recomputed_in_fp32(bad):
    calls = []

    def forward(x):
        calls.append(torch.is_autocast_enabled("cpu"))
        return torch.full_like(x, bad) if torch.is_autocast_enabled("cpu") else x * 0.5

    x = torch.rand(1, 3, 8, 8) + 0.1
    y = run_guarded(forward, x, torch.bfloat16)
    assert calls == [True, False]
    assert torch.equal(y, x * 0.5) and y.dtype == torch.float32


def test_good_reduced_precision_output_is_kept_and_black_input_is_not_a_failure():
    calls = []

    def forward(x):
        calls.append(torch.is_autocast_enabled("cpu"))
        return x.clone()

    run_guarded(forward, torch.zeros(1, 3, 4, 4), torch.bfloat16)  # black in, black out: fine
    assert calls == [True]
    assert not output_is_degenerate(torch.zeros(1, 3, 4, 4), torch.zeros(1, 3, 4, 4))


def test_upscaler_retries_tiles_in_fp32(tiny_config):
    reference = np.asarray(load_upscaler("tiny", 2, tiny_config)(_source()))
    upscaler = load_upscaler("tiny", 2, tiny_config)
    backend = upscaler._backend
    backend.dtype = torch.bfloat16  # as on a GPU; the model overflows under autocast
    real = backend.model
    retried = []

    def overflowing(x):
        if torch.is_autocast_enabled("cpu"):
            retried.append(x.shape)
            return torch.full((1, 3, x.shape[2] * 2, x.shape[3] * 2), float("nan"))
        return real(x)

    backend.model = overflowing
    assert np.array_equal(np.asarray(upscaler(_source())), reference)
    assert len(retried) == 4  # every tile (2 × 2 of ≤ 24 px) was retried


def test_out_of_memory_halves_the_tile_until_it_fits(tiny_config):
    from dataclasses import replace

    config = replace(tiny_config, tile_size=48)
    source = read_image(encode(Image.fromarray(to_u8(gradient_rgb(120, 96)))))
    reference = np.asarray(load_upscaler("tiny", 2, replace(config, tile_size=0))(source))
    upscaler = load_upscaler("tiny", 2, config)
    real = upscaler._backend.model

    def small_gpu(x):
        # 48 px tiles + context are ~58 × 60 px, 24 px tiles at most 44 × 44 (overlap 10).
        if x.shape[2] * x.shape[3] > 2500:
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
        return real(x)

    upscaler._backend.model = small_gpu
    progress = []
    result = upscaler(source, progress=lambda done, total: progress.append((done, total)))
    assert np.abs(np.asarray(result).astype(int) - reference).max() <= 1  # tiled vs whole
    assert progress[-1] == (20, 20)  # 24 px tiles: 4 × 5
    assert upscaler.tile_size == 48  # nothing remembered between calls


def test_out_of_memory_at_the_minimum_tile_is_a_clear_error(tiny_config):
    upscaler = load_upscaler("tiny", 2, tiny_config)

    def no_memory(x):
        raise torch.OutOfMemoryError("CUDA out of memory")

    upscaler._backend.model = no_memory
    with pytest.raises(EngineOutOfMemoryError, match="even with 8px tiles"):
        upscaler(_source())


def test_other_errors_are_not_mistaken_for_out_of_memory():
    assert is_out_of_memory(torch.OutOfMemoryError("x"))
    assert is_out_of_memory(RuntimeError("DefaultCPUAllocator: can't allocate memory: you tried..."))
    assert not is_out_of_memory(RuntimeError("size mismatch"))
    assert not is_out_of_memory(ValueError("out of memory"))


@pytest.mark.parametrize("native_bf16", [True, False])
def test_precision_auto_on_cpu_is_bf16_only_where_the_cpu_has_it(monkeypatch, native_bf16):
    monkeypatch.setattr(device, "cpu_has_native_bf16", lambda: native_bf16)
    expected = torch.bfloat16 if native_bf16 else torch.float32
    assert resolve_dtype("auto", torch.device("cpu")) == expected
    assert resolve_dtype("fp32", torch.device("cpu")) == torch.float32
    assert resolve_dtype("fp16", torch.device("cpu")) == torch.float16


def test_bf16_on_the_cpu_runs_the_served_path_close_to_fp32(tiny_config):
    """An explicit bf16 run, whatever this CPU is (the shipped models' bound is tighter:
    test_shipped_weights.py; this random tiny network's outputs swing far wider)."""
    from dataclasses import replace

    outputs = {p: np.asarray(load_upscaler("tiny", 2, replace(tiny_config, precision=p))(_source()), dtype=int)
               for p in ("fp32", "bf16")}
    difference = np.abs(outputs["fp32"] - outputs["bf16"])
    assert 0 < difference.mean() < 1.0 and difference.max() <= 8


def test_cuda_device_without_cuda_is_an_engine_error(tiny_config):
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    from dataclasses import replace

    from upscaler.engine import EngineError

    with pytest.raises(EngineError, match="CUDA is not available"):
        load_upscaler("tiny", 2, replace(tiny_config, device="cuda"))


def test_optimised_model_runs_under_reduced_precision_autocast():
    """The GPU path (autocast fp16/bf16) on the rewritten model: no dtype clashes, close output."""
    from upscaler.engine.optimize import prepare_model

    from .conftest import make_tiny_srresnet

    model = prepare_model(make_tiny_srresnet(4), torch.device("cpu"))
    x = torch.rand(1, 3, 20, 20).contiguous(memory_format=torch.channels_last)
    with torch.inference_mode():
        reference = model(x)
        for dtype in (torch.bfloat16, torch.float16):
            y = run_guarded(model, x, dtype)
            assert y.dtype == torch.float32
            assert (y - reference).abs().max() < 0.05
