"""Command line for the engine, shared by `python -m upscaler.engine` and `manage.py upscale`.

Writes DIR/<stem>_x<scale>.<ext> for every input, with a tqdm bar per image that advances per
tile. Without --model, each file gets the service's automatic choice (provenance.choose_model).
One bad input is reported and skipped; the exit status is 1 if any input failed.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import sys
from pathlib import Path
from typing import TextIO

from upscaler.engine.config import SUPPORTED_SCALES, EngineConfig
from upscaler.engine.errors import EngineError
from upscaler.engine.imageio import read_image, write_image
from upscaler.engine.provenance import choose_model, read_provenance
from upscaler.engine.registry import default_model_name, list_models, photo_model_name

logger = logging.getLogger(__name__)

EXTENSIONS = {"PNG": "png", "WEBP": "webp", "JPEG": "jpg"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("inputs", nargs="*", metavar="INPUT", help="image files to upscale")
    parser.add_argument("--scale", type=int, default=4, choices=SUPPORTED_SCALES)
    parser.add_argument("--model", help="model name (default: chosen per file: the photo model for lossy or noisy "
                        "files when there is one, else our trained model for the scale, else bicubic)")
    parser.add_argument("--tile", type=int, metavar="SIZE", help="tile size in input pixels; 0 = whole image")
    parser.add_argument("--output", "-o", type=Path, default=Path("."), metavar="DIR")
    parser.add_argument("--format", default="PNG", type=str.upper, choices=sorted(EXTENSIONS))
    parser.add_argument("--quality", type=int, default=95, help="JPEG/WebP quality")
    parser.add_argument("--device", help='"auto", "cpu", "cuda" or "cuda:N"')
    parser.add_argument("--precision", choices=("auto", "fp32", "fp16", "bf16"))
    parser.add_argument("--threads", type=int)
    parser.add_argument("--weights-dir", type=Path, action="append", dest="weights_dirs", metavar="DIR",
                        help="scan this directory for weights instead of the configured ones (repeatable)")
    parser.add_argument("--list-models", action="store_true", help="list available models and exit")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def config_from_args(args: argparse.Namespace, base: EngineConfig | None = None) -> EngineConfig:
    overrides = {
        "tile_size": args.tile,
        "device": args.device,
        "precision": args.precision,
        "threads": args.threads,
        "weights_dirs": tuple(args.weights_dirs) if args.weights_dirs else None,
    }
    return dataclasses.replace(base or EngineConfig(), **{k: v for k, v in overrides.items() if v is not None})


def print_models(config: EngineConfig, out: TextIO) -> None:
    for info in list_models(config):
        scales = ", ".join(f"x{s}" for s in info.scales)
        out.write(f"{info.name:<20} {info.kind:<9} {scales:<16} {info.description}\n")


def run(args: argparse.Namespace, base: EngineConfig | None = None, *, out: TextIO | None = None,
        err: TextIO | None = None, clean_model: str | None = None) -> int:
    """Upscale args.inputs. Without --model each file gets the automatic choice (its reason is
    printed): `clean_model` for clean files (default: the registry's default for the scale),
    the photo model for lossy or noisy ones."""
    out = out or sys.stdout
    err = err or sys.stderr
    try:
        config = config_from_args(args, base)
    except ValueError as exc:
        err.write(f"error: {exc}\n")
        return 2
    if args.list_models:
        print_models(config, out)
        return 0
    if not args.inputs:
        err.write("error: no INPUT given (or use --list-models)\n")
        return 2
    upscalers = _Upscalers(config, args.scale, out)
    choose = None if args.model else _Chooser(config, args.scale, clean_model)
    if args.model:
        try:
            upscalers.get(args.model)  # a bad name fails before any input is read
        except EngineError as exc:
            err.write(f"error: {exc}\n")
            return 1
    failures = 0
    for path in map(Path, args.inputs):
        target = args.output / f"{path.stem}_x{args.scale}.{EXTENSIONS[args.format]}"
        try:
            source = read_image(path, max_pixels=config.max_input_pixels)
            for note in source.notes:
                err.write(f"{path}: note: {note}\n")
            name = args.model or choose(path, out)
            result = _upscale_with_bar(upscalers.get(name), source, path.name, args.no_progress, err)
            write_image(result, target, format=args.format, quality=args.quality, source=source)
        except (EngineError, OSError) as exc:  # OSError: the file went away after it was read
            failures += 1
            err.write(f"{path}: error: {exc}\n")
            continue
        out.write(f"{path} -> {target} ({result.width}×{result.height})\n")
    return 1 if failures else 0


class _Upscalers:
    """The upscalers of one run, loaded on first use: with the automatic choice, two models may
    serve one run (and one that no input needs is never loaded)."""

    def __init__(self, config: EngineConfig, scale: int, out: TextIO) -> None:
        self.config, self.scale, self.out = config, scale, out
        self.loaded: dict = {}

    def get(self, name: str):
        if name not in self.loaded:
            from upscaler.engine.upscaler import load_upscaler

            upscaler = self.loaded[name] = load_upscaler(name, self.scale, self.config)
            self.out.write(f"model {upscaler.name} x{upscaler.scale} on {upscaler.device}\n")
        return self.loaded[name]


class _Chooser:
    """The automatic choice per file (provenance.choose_model, as the service makes it)."""

    def __init__(self, config: EngineConfig, scale: int, clean: str | None) -> None:
        self.clean = clean or default_model_name(scale, config)
        self.photo = photo_model_name(list_models(config), scale)

    def __call__(self, path: Path, out: TextIO) -> str:
        # read_image accepted the file: its provenance can be read.
        choice = choose_model(read_provenance(path.read_bytes()), clean=self.clean, photo=self.photo)
        out.write(f"{path}: {choice.reason}\n")
        return choice.name


def _upscale_with_bar(upscaler, source, label: str, disabled: bool, err: TextIO):
    from tqdm import tqdm

    with tqdm(desc=label, unit="tile", disable=disabled, file=err, leave=False) as bar:

        def progress(done: int, total: int) -> None:
            if bar.total != total:  # first tile, or a restart with smaller tiles after OOM
                bar.reset(total=total)
            bar.n = done
            bar.refresh()

        return upscaler(source, progress=progress)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m upscaler.engine", description="Upscale images.")
    add_arguments(parser)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    return run(args)
