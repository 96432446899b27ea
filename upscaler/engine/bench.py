"""Benchmark of the served x4 path: `python -m upscaler.engine.bench` (a benchmark, not a test).

Each case runs in its own subprocess so that its peak RSS is its own. Per case: ms per image,
output MP/s, achieved GFLOP/s (conv FLOPs counted from the layer shapes) against an fp32 matmul
peak measured in the same process just before, and peak RSS. Cases:

- engine: the Upscaler (BN folded, channels_last, in-place skips and PReLU, sub-pixel tail,
  uniform tiles, precision auto); with 1 and 2 threads, in fp32 when auto chose bf16, and once
  with the tuned allocator, to show what each choice is worth;
- naive: the seed's way: build the model and load its weights on every call, NCHW fp32, no
  tiling; the ratio naive / engine is the speed-up;
- large: a 2048×2048 input at x4 (8192² output) through the engine, for peak RSS.

`--models a,b` instead compares x4 models side by side: engine cases interleaved round by round
(so a noisy neighbour hits both), one thread, fp32, printing ms per output megapixel and the
ratio to the first model (for the architecture choice of issue 14). `--weights-dir` adds a
folder of weights files (e.g. an exported training run) to the registry's.

The default x4 model is the registry's (trained weights when present); without them the paper's
SRResNet (16 blocks, 64 maps, BN) with random weights stands in, and the output says so.
"""

from __future__ import annotations

import argparse
import io
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

#: Matmul side for the peak: large enough to run at the BLAS's best speed, ~0.1 s per product.
MATMUL_SIDE = 2048
MATMUL_REPEATS = 5


def _matmul_peak_gflops() -> float:
    import torch

    a = torch.randn(MATMUL_SIDE, MATMUL_SIDE)
    b = torch.randn(MATMUL_SIDE, MATMUL_SIDE)
    a @ b  # warm-up: thread pool, BLAS dispatch
    best = min(_timed(lambda: a @ b) for _ in range(MATMUL_REPEATS))
    return 2 * MATMUL_SIDE**3 / best / 1e9


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def conv_flops_per_input_pixel(model) -> float:
    """2·(Cin/groups)·Cout·kh·kw per output position of every Conv2d, per LR input pixel.

    Counted from the shapes seen by forward hooks on a 16×16 input; conv outputs of an SR
    network scale with the input area, so this is exact for any size.
    """
    import torch

    side = 16
    total = 0

    def hook(module, _inputs, output):
        nonlocal total
        kh, kw = module.kernel_size
        per_position = 2 * (module.in_channels // module.groups) * module.out_channels * kh * kw
        total += per_position * output.shape[-2] * output.shape[-1]

    handles = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, torch.nn.Conv2d)]
    try:
        with torch.inference_mode():
            model(torch.rand(1, 3, side, side).contiguous(memory_format=torch.channels_last))
    finally:
        for handle in handles:
            handle.remove()
    return total / (side * side)


def _test_image(side: int):
    from PIL import Image

    from upscaler.engine.imageio import read_image

    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:side, 0:side].astype(np.float32)
    base = np.stack([xx / side, yy / side, 0.5 + 0.5 * np.sin((xx + yy) / 7)], axis=2)
    pixels = np.clip(base + rng.normal(0, 0.05, base.shape), 0, 1)
    img = Image.fromarray(np.rint(pixels * 255).astype(np.uint8))
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return read_image(buf.getvalue(), max_pixels=side * side)


def _resolve_model(args) -> tuple[str, object, bool]:
    """(name, config, random) of the x4 model to measure."""
    from upscaler.engine.config import EngineConfig
    from upscaler.engine.registry import default_model_name

    config = EngineConfig(threads=args.threads, tune_allocator=args.tune_allocator, precision=args.precision)
    if args.weights_dir:
        config = replace(config, weights_dirs=(*config.weights_dirs, Path(args.weights_dir)))
    name = args.model or default_model_name(4, config)
    if name != "bicubic":
        return name, config, False
    import torch

    from upscaler.engine.archs import SRResNet, SRResNetConfig
    from upscaler.engine.weights import save_weights

    torch.manual_seed(0)
    weights_dir = Path(args.scratch)
    save_weights(weights_dir / "random-srresnet-x4.safetensors", SRResNet(SRResNetConfig()),
                 {"description": "random weights, benchmark only"})
    return "random-srresnet", replace(config, weights_dirs=(weights_dir,)), True


def run_case(args) -> dict:
    import torch

    from upscaler.engine.registry import find_model
    from upscaler.engine.upscaler import load_upscaler

    if args.threads:
        torch.set_num_threads(args.threads)
    name, config, random_weights = _resolve_model(args)
    source = _test_image(args.size)
    peak_before = _matmul_peak_gflops()
    result = {"case": args.case, "model": name, "random_weights": random_weights, "size": args.size,
              "threads": torch.get_num_threads()}
    if args.case == "naive":
        times = _run_naive(find_model(name, 4, config).files[4], source, args.repeats)
        flops_model = _naive_model(find_model(name, 4, config).files[4])
        load_s = 0.0
    else:
        start = time.perf_counter()
        upscaler = load_upscaler(name, 4, config)
        load_s = time.perf_counter() - start
        times = [_timed(lambda: upscaler(source)) for _ in range(args.repeats)]
        flops_model = upscaler._backend.model
        result["tile_size"], result["tile_overlap"] = upscaler.tile_size, upscaler.tile_overlap
        result["dtype"] = str(upscaler._backend.dtype).removeprefix("torch.")
    # The machine is shared: the best of two peak measurements bracketing the run.
    peak = max(peak_before, _matmul_peak_gflops())
    per_pixel = conv_flops_per_input_pixel(flops_model)
    seconds = statistics.median(times)
    flops = per_pixel * args.size * args.size
    result.update(
        load_s=load_s,
        matmul_peak_gflops=peak,
        ms_per_image=seconds * 1000,
        output_mp_per_s=(args.size * 4) ** 2 / 1e6 / seconds,
        gflops=flops / seconds / 1e9,
        peak_share=flops / seconds / 1e9 / peak,
        peak_rss_mib=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    )
    return result


def _naive_model(path):
    from upscaler.engine.weights import build_generator, read_metadata

    return build_generator(read_metadata(path), source=path).eval()


def _run_naive(path, source, repeats: int) -> list[float]:
    """The seed's inference: a fresh model and torch.load per call, NCHW fp32, whole image."""
    import torch
    from PIL import Image

    from upscaler.engine.weights import load_weights

    state_dict, _ = load_weights(path)
    with tempfile.TemporaryDirectory() as scratch:
        checkpoint = Path(scratch) / "checkpoint.pth"
        torch.save(state_dict, checkpoint)

        def call():
            model = _naive_model(path)
            model.load_state_dict(torch.load(checkpoint, weights_only=True))
            x = torch.from_numpy(np.asarray(source.image, dtype=np.float32) / 255).permute(2, 0, 1)[None]
            with torch.no_grad():
                y = model(x.contiguous()).clamp(0, 1)
            Image.fromarray((y[0].permute(1, 2, 0).numpy() * 255).round().astype(np.uint8))

        return [_timed(call) for _ in range(repeats)]


def _child(case: str, args, **overrides) -> dict:
    argv = [sys.executable, "-m", "upscaler.engine.bench", "--case", case,
            "--size", str(overrides.get("size", args.size)),
            "--repeats", str(overrides.get("repeats", args.repeats)), "--scratch", args.scratch]
    threads = overrides.get("threads", args.threads)
    if threads:
        argv += ["--threads", str(threads)]
    model = overrides.get("model", args.model)
    if model:
        argv += ["--model", model]
    if args.weights_dir:
        argv += ["--weights-dir", args.weights_dir]
    if overrides.get("tune_allocator"):
        argv.append("--tune-allocator")
    argv += ["--precision", overrides.get("precision", args.precision)]
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    if done.returncode:
        raise SystemExit(f"bench case {case} failed:\n{done.stderr}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["label"] = overrides.get("label", case)
    return result


def _report(results: list[dict]) -> None:
    first = results[0]
    print(f"model: {first['model']} x4" + ("  (RANDOM WEIGHTS: no trained x4 weights found; speed only)"
                                           if first["random_weights"] else ""))
    header = (f"{'case':<24}{'input':>10}{'thr':>4}{'dtype':>10}{'ms/image':>11}{'out MP/s':>10}{'GFLOP/s':>9}"
              f"{'peak':>8}{'of peak':>9}{'RSS MiB':>9}")
    print(header)
    print("-" * len(header))
    for r in results:
        print(f"{r['label']:<24}{r['size']:>5}×{r['size']:<4}{r['threads']:>4}{r.get('dtype', 'float32'):>10}"
              f"{r['ms_per_image']:>11.0f}{r['output_mp_per_s']:>10.3f}{r['gflops']:>9.1f}"
              f"{r['matmul_peak_gflops']:>8.1f}{r['peak_share']:>9.0%}{r['peak_rss_mib']:>9.0f}")
    print("(peak: an fp32 matmul; a bf16 case can exceed it, and so can fp32, because oneDNN runs 3×3 "
          "convolutions with fewer operations than the nominal count)")
    by_label = {r["label"]: r for r in results}
    if "engine" in by_label and "engine, fp32" in by_label:
        ratio = by_label["engine, fp32"]["ms_per_image"] / by_label["engine"]["ms_per_image"]
        print(f"{by_label['engine']['dtype']} (precision auto) over fp32: {ratio:.2f}× the speed")
    if "engine" in by_label and "naive (seed)" in by_label:
        ratio = by_label["naive (seed)"]["ms_per_image"] / by_label["engine"]["ms_per_image"]
        print(f"speed-up over the naive seed-style baseline: {ratio:.1f}×")
    if "engine" in by_label:
        engine = by_label["engine"]
        print(f"target ≥ 75% of matmul peak: {engine['peak_share']:.0%} "
              f"({'met' if engine['peak_share'] >= 0.75 else 'NOT met'})")
    for label, r in by_label.items():
        if label.startswith("large"):
            rss = r["peak_rss_mib"]
            print(f"target ≤ 2048 MiB peak RSS at {r['size']}² x4: {rss:.0f} MiB "
                  f"({'met' if rss <= 2048 else 'NOT met'}); {r['ms_per_image'] / 1000:.0f} s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m upscaler.engine.bench", description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=int, default=256, help="LR side of the speed cases (default 256 → 1024²)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--large", type=int, default=2048, help="LR side of the memory case; 0 skips it")
    parser.add_argument("--threads", type=int, help="torch threads for the main cases (default: torch's)")
    parser.add_argument("--model", help="x4 model to measure (default: the registry's default x4 model)")
    parser.add_argument("--quick", action="store_true", help="128² input, 2 repeats, no large case")
    parser.add_argument("--precision", default="auto", choices=("auto", "fp32", "fp16", "bf16"),
                        help="of the main cases (default auto: bf16 on CPUs that have it, else fp32)")
    parser.add_argument("--models", help="compare these x4 models side by side (comma-separated), 1 thread, fp32")
    parser.add_argument("--weights-dir", help="an extra folder of weights files for the registry")
    parser.add_argument("--case", choices=("engine", "naive"), help=argparse.SUPPRESS)
    parser.add_argument("--scratch", help=argparse.SUPPRESS)
    parser.add_argument("--tune-allocator", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.case:
        print(json.dumps(run_case(args)))
        return 0
    if args.quick:
        args.size, args.repeats, args.large = 128, 2, 0
    if args.models:
        from upscaler.engine.bench_compare import compare_models

        return compare_models(args, _child)
    with tempfile.TemporaryDirectory() as scratch:
        args.scratch = scratch
        results = [_child("engine", args)]
        if results[0].get("dtype") != "float32":
            # auto chose reduced precision (a CPU with native bf16): show what it buys.
            results.append(_child("engine", args, precision="fp32", label="engine, fp32"))
        for threads in (1, 2):
            if threads != results[0]["threads"]:
                results.append(_child("engine", args, threads=threads, label=f"engine, {threads} thread(s)"))
        results.append(_child("engine", args, tune_allocator=True, label="engine, tuned malloc"))
        results.append(_child("naive", args, repeats=max(1, args.repeats - 1), label="naive (seed)"))
        if args.large:
            results.append(_child("engine", args, size=args.large, repeats=1, label=f"large {args.large}² x4"))
    _report(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
