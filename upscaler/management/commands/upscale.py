"""`manage.py upscale INPUT... --scale 4`: the engine CLI, configured from Django settings."""

import argparse

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Upscale image files to DIR/<stem>_x<scale>.png with the configured engine (--list-models lists)."

    def add_arguments(self, parser):
        from upscaler.engine.cli import add_arguments

        add_arguments(parser)

    def handle(self, *args, **options):
        from upscaler.engine.cli import run
        from upscaler.integrations import engine_provider

        # Progress bars write "\r" updates: no forced newline, no colouring on stderr.
        self.stderr.ending = ""
        self.stderr.style_func = None
        status = run(argparse.Namespace(**options), engine_provider.get_engine_config(),
                     out=self.stdout, err=self.stderr)
        if status:
            raise CommandError("some inputs failed (see above)" if status == 1 else "bad arguments",
                               returncode=status)
