"""Embedded mode (the default): SQLite + local media + in-process jobs + in-memory channel layer."""

from srsite.logs import logging_from_env

from .base import *  # noqa: F403
from .base import DATA_DIR, env, job_backend

DEBUG = env.bool("DJANGO_DEBUG", default=True)
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="dev-insecure-secret-key-do-not-use-in-production")
UPSCALER_JOB_BACKEND = job_backend("thread")
LOGGING = logging_from_env(default_format="text")

DATA_DIR.mkdir(parents=True, exist_ok=True)
# Static files are served from the app folders (no collectstatic needed in embedded mode).
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
