"""Command line for training: `python -m upscaler.training {train,sweep,evaluate,export} ...`."""

from __future__ import annotations

import argparse
import logging
import sys
from dataclasses import fields
from pathlib import Path

from upscaler.training.train import Trainer, TrainConfig


def _add_train_options(parser: argparse.ArgumentParser) -> None:
    for f in fields(TrainConfig):
        flag = "--" + f.name.replace("_", "-")
        default = f.default if not callable(getattr(f, "default_factory", None)) else f.default_factory()
        if f.type in ("bool", bool):
            parser.add_argument(flag, action=argparse.BooleanOptionalAction, default=None)
        else:
            kind = {"int": int, "float": float}.get(str(f.type), str)
            parser.add_argument(flag, type=kind, default=None, help=f"default: {default}")


def _config_from(args: argparse.Namespace) -> TrainConfig:
    given = {f.name: getattr(args, f.name) for f in fields(TrainConfig) if getattr(args, f.name) is not None}
    return TrainConfig(**given)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m upscaler.training")
    sub = parser.add_subparsers(dest="command", required=True)

    train = sub.add_parser("train", help="train (or resume) a PSNR-oriented generator")
    train.add_argument("run_dir", type=Path)
    train.add_argument("--max-minutes", type=float, default=None, help="stop (with a checkpoint) after this long")
    train.add_argument("--no-progress", action="store_true")
    _add_train_options(train)

    sweep = sub.add_parser("sweep", help="compare generator sizes at an equal CPU budget")
    sweep.add_argument("out_dir", type=Path)
    sweep.add_argument("--cpu-minutes", type=float, default=10.0)
    _add_train_options(sweep)
    return parser


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    args = build_parser().parse_args(argv)
    if args.command == "train":
        if (args.run_dir / "checkpoint.pt").exists():
            # Resuming: the saved settings stand; only the run's length may be changed.
            config = _merged_length(args) if args.iterations is not None else None
        else:
            config = _config_from(args)
        trainer = Trainer(args.run_dir, config)
        max_seconds = None if args.max_minutes is None else args.max_minutes * 60
        trainer.run(max_seconds=max_seconds, show_progress=not args.no_progress)
        print(f"stopped at iteration {trainer.iteration}/{trainer.config.iterations}, "
              f"{trainer.cpu_seconds / 3600:.2f} CPU-hours; checkpoint in {args.run_dir}")
        return 0
    if args.command == "sweep":
        from upscaler.training.sweep import run_sweep, sweep_markdown

        base = _config_from(args)
        budget = args.cpu_minutes * 60
        rows = run_sweep(base, args.out_dir, budget)
        table = sweep_markdown(rows, base.scale, budget)
        (args.out_dir / "sweep.md").write_text(table)
        print(table)
        return 0
    return 2


def _merged_length(args: argparse.Namespace) -> TrainConfig:
    from upscaler.training.checkpoint import load_checkpoint

    saved = TrainConfig(**load_checkpoint(args.run_dir / "checkpoint.pt")["train_config"])
    saved.iterations = args.iterations
    return saved


if __name__ == "__main__":
    sys.exit(main())
