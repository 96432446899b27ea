"""The bench's side-by-side mode (`python -m upscaler.engine.bench --models a,b`): x4 models
compared round by round, so that a noisy neighbour slows every model alike."""

from __future__ import annotations

import statistics
import tempfile


def compare_models(args, child) -> int:
    """Interleaved rounds of one engine case per model; the median over rounds per model."""
    names = [n.strip() for n in args.models.split(",") if n.strip()]
    rounds = max(1, args.repeats)
    times: dict[str, list[float]] = {n: [] for n in names}
    last: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as scratch:
        args.scratch = scratch
        for _ in range(rounds):
            for name in names:
                last[name] = child("engine", args, model=name, threads=1, precision="fp32", repeats=1, label=name)
                times[name].append(last[name]["ms_per_image"])
    out_mp = (args.size * 4) ** 2 / 1e6
    print(f"x4 models side by side: {args.size}² input ({out_mp:.2f} MP out), 1 thread, fp32, "
          f"{rounds} interleaved round(s); median ms")
    print(f"{'model':<28}{'ms/image':>10}{'ms per out MP':>15}{'GFLOP/s':>9}{'of peak':>9}{'ratio':>8}")
    first = statistics.median(times[names[0]])
    for name in names:
        ms = statistics.median(times[name])
        print(f"{name:<28}{ms:>10.0f}{ms / out_mp:>15.0f}{last[name]['gflops']:>9.1f}"
              f"{last[name]['peak_share']:>9.0%}{first / ms:>7.2f}×")
    return 0
