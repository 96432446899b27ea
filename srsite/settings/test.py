"""pytest settings: SQLite unless DATABASE_URL is set (the integration run sets PostgreSQL)."""

import tempfile
from pathlib import Path

from .base import *  # noqa: F403
from .base import env, job_backend

DEBUG = False
SECRET_KEY = "test-secret-key"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Each test run writes media into its own throw-away folder.
MEDIA_ROOT = Path(env.str("DJANGO_MEDIA_ROOT", default=tempfile.mkdtemp(prefix="srsite-media-")))
UPSCALER_JOB_BACKEND = job_backend("inline")
UPSCALER_PROGRESS_INTERVAL = 0.0
# Tests must not depend on which trained weights the repository ships (bicubic is then the only
# model and the default); tests of the shipped models point the engine at them explicitly.
UPSCALER_WEIGHTS_DIRS = [tempfile.mkdtemp(prefix="srsite-weights-")]
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
STATIC_ROOT = Path(tempfile.mkdtemp(prefix="srsite-static-"))
WHITENOISE_USE_FINDERS = True

# A file, not SQLite's shared in-memory database: the thread-runner tests write from
# other threads, which shared-cache memory databases answer with "table is locked".
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": str(Path(tempfile.mkdtemp(prefix="srsite-db-")) / "test.sqlite3")
    }
