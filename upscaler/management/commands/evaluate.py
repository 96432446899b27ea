"""`manage.py evaluate --scale S [--model NAMES] [--degradation jpeg75,real]`: benchmark tables for
served models (every registered one by default), bicubic and the automatic choice."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = ("Y-PSNR/SSIM on Set5, Set14 and BSD100 with bicubic and published figures beside; "
            "writes the markdown table with --output.")

    def add_arguments(self, parser):
        source = parser.add_mutually_exclusive_group()
        source.add_argument("--model", help="registered models (comma-separated), run through the served engine "
                                            "path; default: every model offering the scale")
        source.add_argument("--run", type=Path, help="a training run directory (its EMA generator)")
        parser.add_argument("--scale", type=int, default=None)
        parser.add_argument("--sets", default="Set5,Set14,BSD100,held-out")
        parser.add_argument("--degradation", default="clean",
                            help="clean, jpeg75 or real (comma-separated); the clean table is always included")
        parser.add_argument("--benchmarks", type=Path, default=None, help="benchmarks folder")
        parser.add_argument("--output", type=Path, default=None)

    def handle(self, *args, **options):
        from upscaler.engine import EngineError
        from upscaler.integrations import engine_provider
        from upscaler.training.__main__ import degradation_list
        from upscaler.training.evaluate import evaluate_command

        try:
            table = evaluate_command(run=options["run"], model=options["model"], scale=options["scale"],
                                     sets=tuple(options["sets"].split(",")), root=options["benchmarks"],
                                     engine_config=engine_provider.get_engine_config(),
                                     degradations=degradation_list(options["degradation"]))
        except (EngineError, ValueError, FileNotFoundError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(table)
        if options["output"]:
            options["output"].write_text(table)
            self.stdout.write(f"wrote {options['output']}")
