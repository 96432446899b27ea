"""What every settings module shares: the project folder, the environment reader, the data folder."""

from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()

# Everything the embedded mode writes (SQLite, media) lives below this folder.
DATA_DIR = Path(env.str("UPSCALER_DATA_DIR", default=str(BASE_DIR / "var")))
