"""pytest settings: SQLite unless DATABASE_URL is set (the integration run sets PostgreSQL)."""

import tempfile
from pathlib import Path

from srsite.logs import logging_from_env

from .base import *  # noqa: F403
from .base import DATABASES, env, job_backend

DEBUG = False
SECRET_KEY = "test-secret-key"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
UPSCALER_JOB_BACKEND = job_backend("inline")
LOGGING = logging_from_env(default_format="text")
UPSCALER_PROGRESS_INTERVAL = 0.0
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
WHITENOISE_USE_FINDERS = True

# One throw-away folder per test run holds what the tests write: media (unless DJANGO_MEDIA_ROOT
# names a folder; tests get their own through the media_root fixture), static files, SQLite.
_RUN_DIR = Path(tempfile.mkdtemp(prefix="srsite-test-"))
_media_root = env.str("DJANGO_MEDIA_ROOT", default="")
MEDIA_ROOT = Path(_media_root) if _media_root else _RUN_DIR / "media"
# Tests must not depend on which trained weights the repository ships (bicubic is then the only
# model and the default); tests of the shipped models point the engine at them explicitly.
UPSCALER_WEIGHTS_DIRS = [str(_RUN_DIR / "weights")]
STATIC_ROOT = _RUN_DIR / "static"
for _folder in (Path(UPSCALER_WEIGHTS_DIRS[0]), STATIC_ROOT):
    _folder.mkdir()

# A file, not SQLite's shared in-memory database: the thread-runner tests write from
# other threads, which shared-cache memory databases answer with "table is locked".
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["TEST"] = {"NAME": str(_RUN_DIR / "test.sqlite3")}
