"""What would more CPU-hours buy? Fit held-out PSNR against log2(CPU-hours) over finished runs.

Only runs whose one-cycle schedule has ended count: a run stopped part-way has not annealed and
sits below where the same hours would have landed. The fit is a straight line in log-hours (the
usual shape of these curves over a decade or two); extrapolating it assumes the generator is not
yet too small for the target, which is the first thing to doubt when the projection is long.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from upscaler.training.checkpoint import load_checkpoint, total_cpu_seconds


@dataclass(frozen=True)
class RunPoint:
    name: str
    cpu_hours: float  # including the runs it was grown from
    val_psnr: float  # the last held-out figure, taken at the end of the schedule
    finished: bool
    scale: int | None = None  # None: given by hand


@dataclass(frozen=True)
class LogFit:
    db_per_doubling: float
    psnr_at_one_hour: float

    def psnr_at(self, hours: float) -> float:
        return self.psnr_at_one_hour + self.db_per_doubling * math.log2(hours)

    def hours_for_gain(self, hours_now: float, gain_db: float) -> float:
        """CPU-hours at which the line is `gain_db` above where it is at `hours_now`."""
        if self.db_per_doubling <= 0:
            return math.inf
        return hours_now * 2 ** (gain_db / self.db_per_doubling)


def run_point(run_dir: Path) -> RunPoint:
    ckpt = load_checkpoint(Path(run_dir) / "checkpoint.pt")
    val = json.loads(ckpt["history"])["val"]
    if not val:
        raise ValueError(f"{run_dir} has no validation figures yet")
    return RunPoint(name=Path(run_dir).name, cpu_hours=total_cpu_seconds(ckpt) / 3600, val_psnr=val[-1]["psnr"],
                    finished=ckpt["iteration"] >= ckpt["train_config"]["iterations"],
                    scale=ckpt["train_config"]["scale"])


def fit_log_hours(points: list[tuple[float, float]]) -> LogFit:
    """Least squares of PSNR = a + b·log2(hours) over (hours, psnr) pairs; needs two distinct hours."""
    hours = np.array([h for h, _ in points], dtype=np.float64)
    psnr = np.array([p for _, p in points], dtype=np.float64)
    if len(set(hours.round(6))) < 2:
        raise ValueError("need finished runs of at least two different lengths")
    slope, intercept = np.polyfit(np.log2(hours), psnr, 1)
    return LogFit(db_per_doubling=float(slope), psnr_at_one_hour=float(intercept))


def projection_markdown(points: list[RunPoint], fit: LogFit | None, gaps: dict[str, float]) -> str:
    lines = ["| run | CPU-hours (incl. its sources) | held-out Y-PSNR (dB) | schedule finished |",
             "|---|---:|---:|---|"]
    for p in points:
        finished = "yes" if p.finished else "no (not fitted)"
        lines.append(f"| {p.name} | {p.cpu_hours:.2f} | {p.val_psnr:.2f} | {finished} |")
    if fit is None:
        return "\n".join([*lines, "", "Fewer than two finished run lengths: no fit."]) + "\n"
    longest = max(p.cpu_hours for p in points if p.finished)
    lines += ["", f"Fit over the finished runs: {fit.db_per_doubling:+.3f} dB per doubling of CPU-hours."]
    if fit.db_per_doubling <= 0:
        return "\n".join([*lines, "The line does not rise: nothing to project."]) + "\n"
    for label, gap in gaps.items():
        hours = fit.hours_for_gain(longest, gap)
        lines.append(f"- closing {label} ({gap:.2f} dB) from {longest:.2f} CPU-hours: about {hours:,.1f} "
                     f"CPU-hours on this machine ({hours / longest:,.0f}× as much), if the line held")
    return "\n".join(lines) + "\n"


def parse_point(text: str) -> RunPoint:
    """'NAME=HOURS:PSNR', for a finished run whose checkpoint is not kept (a sweep candidate)."""
    name, _, figures = text.rpartition("=")
    hours, _, psnr = figures.partition(":")
    if not name or not psnr:
        raise ValueError(f"expected NAME=HOURS:PSNR, got {text!r}")
    return RunPoint(name=name, cpu_hours=float(hours), val_psnr=float(psnr), finished=True)


def project(run_dirs: list[Path], gaps: dict[str, float], extra_points: list[RunPoint] = ()) -> str:
    points = [*extra_points, *(run_point(r) for r in run_dirs)]
    scales = {p.scale for p in points if p.scale is not None}
    if len(scales) > 1:
        # Held-out PSNR at x2 and x4 are different quantities: one line through both means nothing.
        raise ValueError(f"runs of different scales ({sorted(scales)}): project one scale at a time")
    finished = [(p.cpu_hours, p.val_psnr) for p in points if p.finished]
    try:
        fit = fit_log_hours(finished)
    except ValueError:
        fit = None
    return projection_markdown(points, fit, gaps)
