"""Settings shared by every environment, read from environment variables (see .env.example)."""

from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()

# Everything the embedded mode writes (SQLite, media) lives below this folder.
DATA_DIR = Path(env.str("UPSCALER_DATA_DIR", default=str(BASE_DIR / "var")))

SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "channels",
    "upscaler",
    "gallery",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "srsite.urls"
ASGI_APPLICATION = "srsite.asgi.application"
WSGI_APPLICATION = "srsite.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
# Without DATABASE_URL: SQLite in the data folder (embedded mode). WAL + IMMEDIATE transactions
# + a busy timeout because the in-process job runner writes from another thread.
_SQLITE_DEFAULT = f"sqlite:///{DATA_DIR / 'db.sqlite3'}"
DATABASES = {"default": env.db_url("DATABASE_URL", default=_SQLITE_DEFAULT)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DJANGO_CONN_MAX_AGE", default=0)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static and media -----------------------------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env.str("DJANGO_STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
MEDIA_ROOT = Path(env.str("DJANGO_MEDIA_ROOT", default=str(DATA_DIR / "media")))
# Media is never served under MEDIA_URL: files go out through owner-checked views.
MEDIA_URL = "/media-not-served/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# --- Redis, Channels, Celery ----------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")

if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                "hosts": [REDIS_URL],
                "prefix": env.str("UPSCALER_CHANNELS_PREFIX", default="srsite"),
            },
        }
    }
else:
    # Only works inside one process: see upscaler/notifications.py and upscaler/jobs.py.
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or "memory://")
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=REDIS_URL or None)
CELERY_TASK_IGNORE_RESULT = True  # job state lives in the database, not in Celery results
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1  # one long inference at a time per worker process
CELERY_TASK_ROUTES = {"upscaler.result_process": {"queue": "inference"}}
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_SOFT_TIME_LIMIT = env.int("UPSCALER_TASK_SOFT_TIME_LIMIT", default=15 * 60)
CELERY_TASK_TIME_LIMIT = CELERY_TASK_SOFT_TIME_LIMIT + 60
# Redis redelivers an unacknowledged task after this; it must outlast the longest job.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_TASK_TIME_LIMIT + 5 * 60}

# --- Upscaler -------------------------------------------------------------------------------
# "thread": jobs run in the web process (embedded mode); "celery": jobs go to the
# `inference` queue; "inline": run right after commit in the committing thread (tests only).
UPSCALER_JOB_RUNNER = env.str("UPSCALER_JOB_RUNNER", default="thread")
UPSCALER_THREAD_WORKERS = env.int("UPSCALER_THREAD_WORKERS", default=1)
# A claimed job's lease; a `running` row whose lease expired is considered crashed.
UPSCALER_JOB_LEASE_SECONDS = env.int(
    "UPSCALER_JOB_LEASE_SECONDS", default=CELERY_TASK_TIME_LIMIT + 60
)
UPSCALER_JOB_MAX_ATTEMPTS = env.int("UPSCALER_JOB_MAX_ATTEMPTS", default=3)
UPSCALER_PROGRESS_INTERVAL = env.float("UPSCALER_PROGRESS_INTERVAL", default=0.25)  # seconds
UPSCALER_MAX_UPLOAD_BYTES = env.int("UPSCALER_MAX_UPLOAD_BYTES", default=25 * 1024 * 1024)
UPSCALER_MAX_INPUT_PIXELS = env.int("UPSCALER_MAX_INPUT_PIXELS", default=4096 * 4096)
UPSCALER_MAX_OUTPUT_PIXELS = env.int("UPSCALER_MAX_OUTPUT_PIXELS", default=8192 * 8192)
UPSCALER_WEIGHTS_DIRS = env.list(
    "UPSCALER_WEIGHTS_DIRS", default=[str(BASE_DIR / "upscaler" / "weights")]
)
UPSCALER_DEVICE = env.str("UPSCALER_DEVICE", default="auto")
UPSCALER_PRECISION = env.str("UPSCALER_PRECISION", default="auto")
UPSCALER_TILE_SIZE = env.int("UPSCALER_TILE_SIZE", default=256)
UPSCALER_TILE_OVERLAP = env.int("UPSCALER_TILE_OVERLAP", default=40)
_threads = env.str("UPSCALER_THREADS", default="")
UPSCALER_THREADS = int(_threads) if _threads else None  # None: let the engine decide

FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("DJANGO_LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
