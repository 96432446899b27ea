"""`manage.py upscale INPUT... --scale 4`: the engine CLI, configured from Django settings; without
--model, each file gets the model the service would choose for it, and the reason is printed."""

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
        # Without --model each file gets the service's automatic choice, whose clean model is the
        # server's default (UPSCALER_DEFAULT_MODEL when set); other weights folders keep the
        # engine's own default, since the server's may not be there.
        clean = None if options.get("weights_dirs") else engine_provider.default_model_name(options["scale"])
        status = run(argparse.Namespace(**options), engine_provider.get_engine_config(),
                     out=self.stdout, err=self.stderr, clean_model=clean)
        if status:
            raise CommandError("some inputs failed (see above)" if status == 1 else "bad arguments",
                               returncode=status)
