"""Command line for training: `python -m upscaler.training COMMAND ...` (`--help` lists the commands)."""

from __future__ import annotations

import argparse
import logging
import sys
from dataclasses import fields, replace
from pathlib import Path

from upscaler.training.config import TrainConfig
from upscaler.training.gan import GANConfig, GANTrainer
from upscaler.training.train import Trainer


def _add_train_options(parser: argparse.ArgumentParser, config_class: type = TrainConfig) -> None:
    for f in fields(config_class):
        flag = "--" + f.name.replace("_", "-")
        default = f.default if not callable(getattr(f, "default_factory", None)) else f.default_factory()
        if f.type in ("bool", bool):
            parser.add_argument(flag, action=argparse.BooleanOptionalAction, default=None)
        else:
            kind = {"int": int, "float": float}.get(str(f.type), str)
            parser.add_argument(flag, type=kind, default=None, help=f"default: {default}")


def _config_from(args: argparse.Namespace, config_class: type = TrainConfig) -> TrainConfig:
    given = {f.name: getattr(args, f.name) for f in fields(config_class) if getattr(args, f.name) is not None}
    return config_class(**given)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m upscaler.training")
    sub = parser.add_subparsers(dest="command", required=True)

    train = sub.add_parser("train", help="train (or resume) a PSNR-oriented generator")
    train.add_argument("run_dir", type=Path)
    train.add_argument("--max-minutes", type=float, default=None, help="stop (with a checkpoint) after this long")
    train.add_argument("--no-progress", action="store_true")
    _add_train_options(train)

    gan = sub.add_parser("gan", help="fine-tune a PSNR checkpoint adversarially (SRGAN + SRPGAN loss)")
    gan.add_argument("run_dir", type=Path)
    gan.add_argument("--max-minutes", type=float, default=None)
    gan.add_argument("--no-progress", action="store_true")
    _add_train_options(gan, GANConfig)

    export = sub.add_parser("export", help="write a run's EMA generator as shipped safetensors weights")
    export.add_argument("run_dir", type=Path)
    export.add_argument("output", type=Path, help="e.g. upscaler/engine/weights/srresnet-x4.safetensors")
    export.add_argument("--family", default="srresnet", help="model family name (srresnet, srgan)")
    export.add_argument("--no-evaluate", action="store_true", help="skip the benchmark table")

    evaluate = sub.add_parser("evaluate", help="Y-PSNR/SSIM on Set5, Set14, BSD100 (after training only)")
    source = evaluate.add_mutually_exclusive_group(required=True)
    source.add_argument("--run", type=Path, help="a training run directory (its EMA generator)")
    source.add_argument("--model", help="a registered model name, run through the served engine path")
    evaluate.add_argument("--scale", type=int, default=None)
    evaluate.add_argument("--sets", default="Set5,Set14,BSD100,held-out")
    evaluate.add_argument("--degradation", default="clean",
                          help="clean, jpeg75 or real (comma-separated); the clean table is always included")
    evaluate.add_argument("--output", type=Path, default=None, help="also write the markdown table here")

    sheet = sub.add_parser("sheet", help="HR | bicubic | models comparison sheet on CC0 photos")
    sheet.add_argument("output", type=Path)
    sheet.add_argument("--run", type=Path, action="append", required=True,
                       help="a run directory; repeat for several models (e.g. srresnet, photo, photo-sharp)")
    sheet.add_argument("--degradation", default="clean", help="clean, jpeg75, real (comma-separated): a row each")

    degradation_sheet = sub.add_parser("degradations", help="PNG of sample LR patches from a degradation preset")
    degradation_sheet.add_argument("output", type=Path)
    degradation_sheet.add_argument("--preset", default="photo")
    degradation_sheet.add_argument("--scale", type=int, default=4)
    degradation_sheet.add_argument("--samples", type=int, default=6)
    degradation_sheet.add_argument("--seed", type=int, default=0)

    speed = sub.add_parser("speed", help="seconds per training step for thread counts and layouts")
    speed.add_argument("out_dir", type=Path)
    _add_train_options(speed)

    project = sub.add_parser("project", help="fit held-out PSNR against log CPU-hours over finished runs")
    project.add_argument("run_dir", type=Path, nargs="*")
    project.add_argument("--point", action="append", default=[], metavar="NAME=HOURS:PSNR",
                         help="a finished run whose checkpoint is not kept (e.g. a sweep candidate)")
    project.add_argument("--gap", action="append", default=[], metavar="LABEL=DB",
                         help="a PSNR gap to price in CPU-hours, e.g. 'the paper on Set5=1.1'")
    project.add_argument("--output", type=Path, default=None)

    sweep = sub.add_parser("sweep", help="compare generator sizes at an equal CPU budget")
    sweep.add_argument("out_dir", type=Path)
    sweep.add_argument("--cpu-minutes", type=float, default=10.0)
    sweep.add_argument("--candidates", default=None, help="e.g. b4c32,b8c48,b16c64 (default: all, with BN)")
    _add_train_options(sweep)
    return parser


def command_names() -> set[str]:
    """The subcommands `build_parser` defines (for wrappers that pass arguments through)."""
    subcommands = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    return set(subcommands.choices)


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    args = build_parser().parse_args(argv)
    if args.command in ("train", "gan"):
        trainer_class = GANTrainer if args.command == "gan" else Trainer
        config_class = trainer_class.config_class
        if (args.run_dir / "checkpoint.pt").exists():
            # Resuming: the saved settings stand, except the few a resume may change.
            config = _merged_resumable(args, config_class)
        else:
            config = _config_from(args, config_class)
        trainer = trainer_class(args.run_dir, config)
        max_seconds = None if args.max_minutes is None else args.max_minutes * 60
        trainer.run(max_seconds=max_seconds, show_progress=not args.no_progress)
        print(f"stopped at iteration {trainer.iteration}/{trainer.config.iterations}, "
              f"{trainer.cpu_seconds / 3600:.2f} CPU-hours; checkpoint in {args.run_dir}")
        return 0
    if args.command == "export":
        from upscaler.training.export import export_run

        metadata = export_run(args.run_dir, args.output, family=args.family, evaluate_benchmarks=not args.no_evaluate)
        print(metadata.get("evaluation_markdown", ""))
        print(f"wrote {args.output} ({args.output.stat().st_size / 1e6:.1f} MB)")
        return 0
    if args.command == "evaluate":
        from upscaler.training.evaluate import evaluate_command

        table = evaluate_command(run=args.run, model=args.model, scale=args.scale, sets=tuple(args.sets.split(",")),
                                 degradations=degradation_list(args.degradation))
        print(table)
        if args.output:
            args.output.write_text(table)
        return 0
    if args.command == "sheet":
        from upscaler.training.checkpoint import checkpoint_upscale, model_from_checkpoint
        from upscaler.training.evaluate import bicubic_upscale
        from upscaler.training.sheet import make_sheet

        methods, scales = {}, set()
        for run in args.run:
            network, _ = model_from_checkpoint(run / "checkpoint.pt")
            scales.add(network.config.scale)
            # A sweep keeps each candidate's run in <candidate>/run: name it by its candidate.
            methods[run.parent.name if run.name == "run" else run.name] = checkpoint_upscale(network)
        if len(scales) != 1:
            raise SystemExit(f"all runs must have one scale, got {sorted(scales)}")
        scale = scales.pop()
        degradations = tuple(d.strip() for d in args.degradation.split(",") if d.strip())
        print(make_sheet({"bicubic": bicubic_upscale(scale), **methods}, scale, args.output, degradations))
        return 0
    if args.command == "degradations":
        from upscaler.training.degradation_presets import preset
        from upscaler.training.sheet import make_degradation_sheet

        config = preset(args.preset)
        if config is None:
            raise SystemExit(f"preset {args.preset!r} is plain bicubic: nothing random to show")
        print(make_degradation_sheet(config, args.scale, args.output, samples=args.samples, seed=args.seed))
        return 0
    if args.command == "speed":
        from upscaler.training.speed import speed_table

        table = speed_table(_config_from(args), args.out_dir / "probe")
        (args.out_dir / f"speed-x{_config_from(args).scale}.md").write_text(table)
        print(table)
        return 0
    if args.command == "project":
        from upscaler.training.projection import parse_point, project

        gaps = {label: float(db) for label, db in (g.rsplit("=", 1) for g in args.gap)}
        try:
            table = project(args.run_dir, gaps, [parse_point(p) for p in args.point])
        except ValueError as exc:
            raise SystemExit(str(exc)) from exc
        print(table)
        if args.output:
            args.output.write_text(table)
        return 0
    if args.command == "sweep":
        from upscaler.training.sweep import CANDIDATES, parse_candidate, run_sweep, sweep_markdown

        base = _config_from(args)
        budget = args.cpu_minutes * 60
        candidates = [parse_candidate(c) for c in args.candidates.split(",")] if args.candidates else CANDIDATES
        rows = run_sweep(base, args.out_dir, budget, candidates)
        table = sweep_markdown(rows, base.scale, budget)
        (args.out_dir / "sweep.md").write_text(table)
        print(table)
        return 0
    return 2


def degradation_list(value: str) -> tuple[str, ...]:
    """'jpeg75' → ('clean', 'jpeg75'): the clean table always comes first, for comparison."""
    asked = [d.strip() for d in value.split(",") if d.strip()]
    return ("clean", *[d for d in asked if d != "clean"])


def _merged_resumable(args: argparse.Namespace, config_class: type) -> TrainConfig:
    from upscaler.training.checkpoint import load_checkpoint
    from upscaler.training.config import RESUMABLE_CHANGES

    saved = config_class(**load_checkpoint(args.run_dir / "checkpoint.pt")["train_config"])
    given = {k: getattr(args, k) for k in RESUMABLE_CHANGES if getattr(args, k) is not None}
    return replace(saved, **given)


if __name__ == "__main__":
    sys.exit(main())
