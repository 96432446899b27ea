"""`manage.py train ...`: the training CLI (`python -m upscaler.training`) under manage.py."""

import sys

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = ("Train, fine-tune (gan), export, compare (sheet), project or sweep generators; "
            "same arguments as `python -m upscaler.training` (try `manage.py train --help`).")

    def run_from_argv(self, argv):
        # Training has its own argparse CLI (usable without Django); pass the arguments through.
        from upscaler.training.__main__ import command_names, main

        args = argv[2:]
        if not args or args[0] not in command_names() | {"-h", "--help"}:
            args = ["train", *args]
        sys.exit(main(args))
