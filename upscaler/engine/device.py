"""Device and precision choice, and the GPU fallbacks: reduced-precision retry, OOM detection.

The fallbacks are written against plain callables so that their logic is unit-tested on CPU by
injecting failures (a forward that returns NaN, a forward that raises OutOfMemoryError).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import torch

from upscaler.engine.errors import EngineError

logger = logging.getLogger(__name__)

#: Output whose every value rounds to 0 on 8 bits counts as "collapsed to black"...
BLACK_OUTPUT_MAX = 0.5 / 255
#: ...but only if the input was not (nearly) black itself.
BLACK_INPUT_MIN = 4 / 255

DTYPES = {"fp32": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16}


def resolve_device(spec: str) -> torch.device:
    """"auto" → the first CUDA device if there is one, else the CPU."""
    if spec == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    device = torch.device(spec)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise EngineError(f"Device {spec!r} requested but CUDA is not available on this machine.")
    if device.type == "cuda" and device.index is not None and device.index >= torch.cuda.device_count():
        raise EngineError(f"Device {spec!r} requested but only {torch.cuda.device_count()} CUDA device(s) exist.")
    return device


def cpu_has_native_bf16() -> bool:
    """AVX-512 BF16 or AMX: oneDNN then runs bf16 convolutions in hardware. Measured on such a
    CPU (`python -m upscaler.engine.bench`, its `engine` and `engine, fp32` cases): 1.97× the fp32
    speed for our x4 generator; the shipped models stay within 3 levels and 0.05 dB of fp32
    (test_shipped_weights.py)."""
    probes = ("_is_avx512_bf16_supported", "_is_amx_tile_supported")
    return any(bool(getattr(torch.cpu, probe, lambda: False)()) for probe in probes)


def resolve_dtype(precision: str, device: torch.device) -> torch.dtype:
    """"auto" → bf16 on CUDA devices that support it, fp16 on other CUDA devices; on the CPU bf16
    where the CPU has it natively, else fp32 (emulated bf16 is far slower than fp32)."""
    if precision == "auto":
        if device.type != "cuda":
            return torch.bfloat16 if cpu_has_native_bf16() else torch.float32
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    dtype = DTYPES[precision]
    if device.type == "cpu" and dtype != torch.float32 and not (dtype == torch.bfloat16 and cpu_has_native_bf16()):
        logger.warning("precision %s on this CPU is emulated and much slower than fp32", precision)
    return dtype


def is_out_of_memory(exc: BaseException) -> bool:
    """CUDA OOM, or an allocation failure on the CPU (both are cured by smaller tiles)."""
    if isinstance(exc, (torch.OutOfMemoryError, MemoryError)):
        return True
    if isinstance(exc, RuntimeError):
        message = str(exc)
        return "out of memory" in message or "can't allocate memory" in message or "not enough memory" in message
    return False


def release_memory(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.empty_cache()


def output_is_degenerate(output: torch.Tensor, source: torch.Tensor) -> bool:
    """NaN/Inf anywhere, or a black output for a visible input: the signs of fp16 overflow."""
    if not bool(torch.isfinite(output).all()):
        return True
    return bool(output.abs().amax() < BLACK_OUTPUT_MAX) and bool(source.amax() >= BLACK_INPUT_MIN)


def run_guarded(forward: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """forward(x) under autocast to `dtype`, retried in fp32 if the result is degenerate.

    Returns fp32. With dtype fp32 this is just forward(x).
    """
    if dtype == torch.float32:
        return forward(x).float()
    with torch.autocast(device_type=x.device.type, dtype=dtype):
        y = forward(x)
    if output_is_degenerate(y, x):
        logger.warning("%s output has NaN/Inf or collapsed to black; retrying this tile in fp32", dtype)
        del y
        y = forward(x)
    return y.float()
