"""`python -m upscaler.engine INPUT... --scale 4`: the engine CLI without Django."""

import sys

from upscaler.engine.cli import main

sys.exit(main())
