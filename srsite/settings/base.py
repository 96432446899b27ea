"""Settings shared by every environment, read from environment variables (see .env.example)."""

from pathlib import Path

import environ
from celery.schedules import crontab

from srsite.logs import logging_config

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
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "upscaler",
    "gallery",
]

MIDDLEWARE = [
    # First: counts every response (even security redirects) and binds the log context.
    "upscaler.ops.middleware.RequestObservabilityMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "upscaler.web.security.ContentSecurityPolicyMiddleware",
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
    # A persistent connection broken by a database restart is replaced, not reused and failed.
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
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
# S3-compatible object storage (AWS, MinIO, ...) for uploads and results when a bucket is named.
# Files are then served by redirecting to short-lived presigned URLs (upscaler/integrations/file_responses.py).
AWS_STORAGE_BUCKET_NAME = env.str("AWS_STORAGE_BUCKET_NAME", default="")
if AWS_STORAGE_BUCKET_NAME:
    _addressing_style = env.str("AWS_S3_ADDRESSING_STYLE", default="")  # "path" for MinIO
    STORAGES["default"] = {
        "BACKEND": "upscaler.integrations.storage.PresignedS3Storage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "endpoint_url": env.str("AWS_S3_ENDPOINT_URL", default="") or None,
            # Where browsers reach the store, when it differs from where the servers do.
            "public_endpoint_url": env.str("AWS_S3_PUBLIC_ENDPOINT_URL", default="") or None,
            "region_name": env.str("AWS_S3_REGION_NAME", default="") or None,
            # Empty keys: boto3's own chain (instance role, ~/.aws, AWS_* read by boto3).
            "access_key": env.str("AWS_ACCESS_KEY_ID", default="") or None,
            "secret_key": env.str("AWS_SECRET_ACCESS_KEY", default="") or None,
            "querystring_auth": True,
            "querystring_expire": env.int("AWS_QUERYSTRING_EXPIRE", default=300),  # seconds
            "addressing_style": _addressing_style or None,
            "signature_version": "s3v4",
            "default_acl": None,  # private objects: only presigned URLs reach them
            # Generated names are unique; never overwrite (the same rule as the local filesystem).
            "file_overwrite": False,
        },
    }

# --- Security headers (upscaler/web/security.py) -------------------------------------------------
# Django's defaults hold everywhere: X-Content-Type-Options: nosniff, Referrer-Policy:
# same-origin, X-Frame-Options: DENY. Pages also get a Content-Security-Policy; images may come
# from these origins too (the object store, when files are served through presigned URLs).
UPSCALER_CSP_IMG_ORIGINS = []
if AWS_STORAGE_BUCKET_NAME:
    _store_origin = env.str("AWS_S3_PUBLIC_ENDPOINT_URL", default="") or env.str("AWS_S3_ENDPOINT_URL", default="")
    UPSCALER_CSP_IMG_ORIGINS = [_store_origin or "https://*.amazonaws.com"]
UPSCALER_CSP_EXEMPT_PATHS = ["/api/v1/docs/"]  # Swagger UI runs an inline script

# --- Redis, Channels, Celery ----------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
# Prefix of srsite's Redis keys: channel layer, worker heartbeats, job metrics.
UPSCALER_REDIS_PREFIX = env.str("UPSCALER_CHANNELS_PREFIX", default="srsite")

if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                "hosts": [REDIS_URL],
                "prefix": UPSCALER_REDIS_PREFIX,
            },
        }
    }
else:
    # Only works inside one process: see upscaler/notifications.py and upscaler/jobs/dispatch.py.
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or "memory://")
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=REDIS_URL or None)
CELERY_TASK_IGNORE_RESULT = True  # job state lives in the database, not in Celery results
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1  # one long inference at a time per worker process
CELERY_TASK_ROUTES = {
    "upscaler.result_process": {"queue": "inference"},
    "upscaler.webhook_deliver": {"queue": "default"},
    "upscaler.submissions_purge_old": {"queue": "default"},
    "upscaler.results_reap_stale": {"queue": "default"},
}
# Workers log through Django's LOGGING (JSON in production, with the job's ids).
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# `celery -A srsite beat` (the compose `scheduler`): retention once a day, at a quiet hour.
CELERY_BEAT_SCHEDULE = {
    "purge-old-submissions": {
        "task": "upscaler.submissions_purge_old",
        "schedule": crontab(
            hour=env.int("UPSCALER_RETENTION_HOUR", default=3), minute=17
        ),
    },
    # Jobs whose worker died (lease expired): re-dispatched, or failed after too many attempts.
    "reap-stale-jobs": {
        "task": "upscaler.results_reap_stale",
        "schedule": env.float("UPSCALER_REAP_INTERVAL_SECONDS", default=60.0),
    },
}
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_SOFT_TIME_LIMIT = env.int("UPSCALER_TASK_SOFT_TIME_LIMIT", default=15 * 60)
CELERY_TASK_TIME_LIMIT = CELERY_TASK_SOFT_TIME_LIMIT + 60
# Redis redelivers a task that was delivered but never acknowledged (its worker died) after
# `visibility_timeout` seconds; it should outlast the longest job (an earlier redelivery of a job
# still running only meets the claim, see services/results.py). Workers look for such tasks
# every UPSCALER_BROKER_RESTORE_SECONDS. Tests lower both to see redelivery within seconds.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int(
        "UPSCALER_BROKER_VISIBILITY_TIMEOUT", default=CELERY_TASK_TIME_LIMIT + 5 * 60
    ),
    # kombu scans on every `throttle`-th tick of `interval` seconds.
    "unacked_restore_interval": 1,
    "unacked_restore_throttle": env.int("UPSCALER_BROKER_RESTORE_SECONDS", default=60),
}

# --- Upscaler -------------------------------------------------------------------------------


def job_backend(default: str) -> str:
    """UPSCALER_JOB_BACKEND: the dotted path of a JobBackend (upscaler/jobs/backends/), or one of
    its aliases "thread" (jobs run in the web process: embedded mode), "celery" (jobs go to the
    broker's queues) and "inline" (right after commit, in the committing thread: tests). Each
    environment's settings module calls this once with its own default."""
    from upscaler.jobs.backends import ALIASES  # a plain dict: importing it loads no Django model

    value = env.str("UPSCALER_JOB_BACKEND", default="") or env.str("UPSCALER_JOB_RUNNER", default="") or default
    return ALIASES.get(value, value)


# UPSCALER_JOB_BACKEND is set by dev.py, test.py and production.py, each with its default.
UPSCALER_THREAD_WORKERS = env.int("UPSCALER_THREAD_WORKERS", default=1)
# A claimed job's lease; a `running` row whose lease expired is considered crashed.
UPSCALER_JOB_LEASE_SECONDS = env.int(
    "UPSCALER_JOB_LEASE_SECONDS", default=CELERY_TASK_TIME_LIMIT + 60
)
UPSCALER_JOB_MAX_ATTEMPTS = env.int("UPSCALER_JOB_MAX_ATTEMPTS", default=3)
# A job still `queued` this long after it was queued (or last re-sent) is sent again: its task
# may have been lost by a broker that died before writing it to disk.
UPSCALER_JOB_REQUEUE_SECONDS = env.int("UPSCALER_JOB_REQUEUE_SECONDS", default=1800)
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
# Each Celery worker process loads these "model:scale" pairs at start (after the fork) and
# reports them in its heartbeat; empty: the default model at x4.
UPSCALER_WORKER_PRELOAD = env.list("UPSCALER_WORKER_PRELOAD", default=[])
UPSCALER_WORKER_HEARTBEAT_SECONDS = env.float("UPSCALER_WORKER_HEARTBEAT_SECONDS", default=10.0)

# --- Retention, health and metrics (upscaler/services/retention.py, upscaler/ops/views.py) --------
# Submissions with no activity for this many days are deleted (files and rows) by the beat
# task and `manage.py purge_old`; gallery items (approved/featured) are kept. 0 keeps everything.
UPSCALER_RETENTION_DAYS = env.int("UPSCALER_RETENTION_DAYS", default=30)
# /readyz and /metrics answer only these client networks, or a request with
# `Authorization: Bearer <UPSCALER_OPS_TOKEN>` (when set). /healthz answers everyone.
UPSCALER_OPS_ALLOWED_NETWORKS = env.list("UPSCALER_OPS_ALLOWED_NETWORKS", default=["127.0.0.1/32", "::1/128"])
UPSCALER_OPS_TOKEN = env.str("UPSCALER_OPS_TOKEN", default="")

# --- API (upscaler/api/) ---------------------------------------------------------------------
# The default model when a request names none ("" = our first trained model with the scale,
# else bicubic). A named default must offer the requested scale.
UPSCALER_DEFAULT_MODEL = env.str("UPSCALER_DEFAULT_MODEL", default="")
UPSCALER_API_ALLOW_ANONYMOUS = env.bool("UPSCALER_API_ALLOW_ANONYMOUS", default=False)
UPSCALER_API_PAGE_SIZE = env.int("UPSCALER_API_PAGE_SIZE", default=20)
# DRF rate strings ("<n>/<second|minute|hour|day>") per throttle scope.
UPSCALER_API_THROTTLE_RATES = {
    "user": env.str("UPSCALER_API_THROTTLE_USER", default="600/hour"),
    "anon": env.str("UPSCALER_API_THROTTLE_ANON", default="60/hour"),
    "submit": env.str("UPSCALER_API_THROTTLE_SUBMIT", default="120/hour"),
}
# Output megapixels per owner over a rolling period, counted from results (0 = unlimited).
UPSCALER_QUOTA_MEGAPIXELS = env.float("UPSCALER_QUOTA_MEGAPIXELS", default=2000.0)
UPSCALER_QUOTA_PERIOD_SECONDS = env.int("UPSCALER_QUOTA_PERIOD_SECONDS", default=24 * 3600)
# image_url / callback_url: only public addresses, except these CIDR networks.
UPSCALER_URL_FETCH_ALLOWLIST = env.list("UPSCALER_URL_FETCH_ALLOWLIST", default=[])
UPSCALER_URL_FETCH_TIMEOUT = env.float("UPSCALER_URL_FETCH_TIMEOUT", default=10.0)  # connect/read
UPSCALER_URL_FETCH_TOTAL_TIMEOUT = env.float("UPSCALER_URL_FETCH_TOTAL_TIMEOUT", default=30.0)
UPSCALER_URL_FETCH_MAX_REDIRECTS = env.int("UPSCALER_URL_FETCH_MAX_REDIRECTS", default=5)
UPSCALER_WEBHOOK_TIMEOUT = env.float("UPSCALER_WEBHOOK_TIMEOUT", default=10.0)
UPSCALER_WEBHOOK_MAX_ATTEMPTS = env.int("UPSCALER_WEBHOOK_MAX_ATTEMPTS", default=6)
# Wait after failed attempt n: base * 2^(n-1) seconds (2, 4, 8, 16, 32 by default).
UPSCALER_WEBHOOK_BACKOFF_SECONDS = env.float("UPSCALER_WEBHOOK_BACKOFF_SECONDS", default=2.0)
# Absolute URLs in webhooks (e.g. https://sr.example.org); relative ones when empty.
UPSCALER_PUBLIC_URL = env.str("UPSCALER_PUBLIC_URL", default="")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first: its "Token" challenge makes unauthenticated requests 401, not 403.
        "upscaler.api.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",  # CSRF-checked
    ],
    "DEFAULT_PERMISSION_CLASSES": ["upscaler.api.authentication.ApiAccess"],
    "DEFAULT_THROTTLE_CLASSES": [
        "upscaler.api.throttles.UserThrottle",
        "upscaler.api.throttles.AnonThrottle",
    ],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "upscaler.api.parsers.LimitedJSONParser",
        "rest_framework.parsers.MultiPartParser",
        "rest_framework.parsers.FormParser",
    ],
    "EXCEPTION_HANDLER": "upscaler.api.errors.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "srsite API",
    "DESCRIPTION": "Image super-resolution jobs: submit, watch, download. "
    "Authenticate with `Authorization: Token <key>` (create keys on the site's API tokens page).",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI from the drf-spectacular-sidecar package: no CDN at runtime.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# Throttle counters live in the cache: Redis when there is one (shared by all processes).
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "api-tokens"
LOGOUT_REDIRECT_URL = "upscaler:upload"

FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# "text" (development) or "json" (one object per line, the production default); every line
# about a submission carries its id (srsite/logs.py).
DJANGO_LOG_FORMAT = env.str("DJANGO_LOG_FORMAT", default="text")
LOGGING = logging_config(fmt=DJANGO_LOG_FORMAT, level=env.str("DJANGO_LOG_LEVEL", default="INFO"))
