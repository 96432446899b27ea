"""The service's own settings (UPSCALER_*): who runs jobs, job limits, the engine, retention, ops."""

from upscaler.engine import config as engine_config  # constants: imports neither torch nor Django

from .channels_celery import CELERY_TASK_TIME_LIMIT
from .env import env


def job_backend(default: str) -> str:
    """UPSCALER_JOB_BACKEND: the dotted path of a JobBackend (upscaler/jobs/backends/), or one of
    its aliases "thread" (jobs run in the web process: embedded mode), "celery" (jobs go to the
    broker's queues) and "inline" (right after commit, in the committing thread: tests). Each
    environment's settings module calls this once with its own default."""
    from upscaler.jobs.backends import ALIASES  # a plain dict: importing it loads no Django model

    value = env.str("UPSCALER_JOB_BACKEND", default="") or env.str("UPSCALER_JOB_RUNNER", default="") or default
    return ALIASES.get(value, value)


# --- Jobs -----------------------------------------------------------------------------------
# UPSCALER_JOB_BACKEND is set by dev.py, test.py and production.py, each with its default.
UPSCALER_THREAD_WORKERS = env.int("UPSCALER_THREAD_WORKERS", default=1)
# A claimed job's lease; a `running` row whose lease expired is considered crashed.
UPSCALER_JOB_LEASE_SECONDS = env.int("UPSCALER_JOB_LEASE_SECONDS", default=CELERY_TASK_TIME_LIMIT + 60)
UPSCALER_JOB_MAX_ATTEMPTS = env.int("UPSCALER_JOB_MAX_ATTEMPTS", default=3)
# A job still `queued` this long after it was queued (or last re-sent) is sent again: its task
# may have been lost by a broker that died before writing it to disk.
UPSCALER_JOB_REQUEUE_SECONDS = 1800
# At most one progress write (database row, lease renewal, event) per this many seconds.
UPSCALER_PROGRESS_INTERVAL = 0.25

# --- Input limits and the engine (upscaler/integrations/engine_provider.py) ------------------------
UPSCALER_MAX_UPLOAD_BYTES = env.int("UPSCALER_MAX_UPLOAD_BYTES", default=25 * 1024 * 1024)
UPSCALER_MAX_INPUT_PIXELS = env.int("UPSCALER_MAX_INPUT_PIXELS", default=4096 * 4096)
UPSCALER_MAX_OUTPUT_PIXELS = env.int("UPSCALER_MAX_OUTPUT_PIXELS", default=8192 * 8192)
# Default: the weights the engine ships, in its own folder (the engine finds them there too).
UPSCALER_WEIGHTS_DIRS = env.list("UPSCALER_WEIGHTS_DIRS", default=[str(engine_config.PACKAGE_WEIGHTS_DIR)])
UPSCALER_DEVICE = env.str("UPSCALER_DEVICE", default="auto")
UPSCALER_PRECISION = env.str("UPSCALER_PRECISION", default="auto")
UPSCALER_TILE_SIZE = env.int("UPSCALER_TILE_SIZE", default=256)
UPSCALER_TILE_OVERLAP = env.int("UPSCALER_TILE_OVERLAP", default=40)
_threads = env.str("UPSCALER_THREADS", default="")
UPSCALER_THREADS = int(_threads) if _threads else None  # None: let the engine decide
# Each Celery worker process loads these "model:scale" pairs at start (after the fork) and
# reports them in its heartbeat; empty: the default model at x4.
UPSCALER_WORKER_PRELOAD = env.list("UPSCALER_WORKER_PRELOAD", default=[])
UPSCALER_WORKER_HEARTBEAT_SECONDS = 10.0

# --- Retention, health and metrics (upscaler/services/retention.py, upscaler/ops/views.py) --------
# Submissions with no activity for this many days are deleted (files and rows) by the beat
# task and `manage.py purge_old`; gallery items (approved/featured) are kept. 0 keeps everything.
# (The hour it runs at, UPSCALER_RETENTION_HOUR, is in the beat schedule: channels_celery.py.)
UPSCALER_RETENTION_DAYS = env.int("UPSCALER_RETENTION_DAYS", default=30)
# /readyz and /metrics answer only these client networks, or a request with
# `Authorization: Bearer <UPSCALER_OPS_TOKEN>` (when set). /healthz answers everyone.
UPSCALER_OPS_ALLOWED_NETWORKS = env.list("UPSCALER_OPS_ALLOWED_NETWORKS", default=["127.0.0.1/32", "::1/128"])
UPSCALER_OPS_TOKEN = env.str("UPSCALER_OPS_TOKEN", default="")
