"""`manage.py evaluate --model NAME --scale S`: the benchmark table for a served model."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = ("Y-PSNR/SSIM on Set5, Set14 and BSD100 with bicubic and published figures beside; "
            "writes the markdown table with --output.")

    def add_arguments(self, parser):
        source = parser.add_mutually_exclusive_group(required=True)
        source.add_argument("--model", help="a registered model, run through the served engine path")
        source.add_argument("--run", type=Path, help="a training run directory (its EMA generator)")
        parser.add_argument("--scale", type=int, default=None)
        parser.add_argument("--sets", default="Set5,Set14,BSD100")
        parser.add_argument("--benchmarks", type=Path, default=None, help="benchmarks folder")
        parser.add_argument("--output", type=Path, default=None)

    def handle(self, *args, **options):
        from upscaler.engine import EngineError
        from upscaler.integrations import engine_provider
        from upscaler.training.evaluate import evaluate_command

        try:
            table = evaluate_command(run=options["run"], model=options["model"], scale=options["scale"],
                                     sets=tuple(options["sets"].split(",")), root=options["benchmarks"],
                                     engine_config=engine_provider.get_engine_config())
        except (EngineError, ValueError, FileNotFoundError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(table)
        if options["output"]:
            options["output"].write_text(table)
            self.stdout.write(f"wrote {options['output']}")
