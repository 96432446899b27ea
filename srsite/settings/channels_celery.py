"""Redis and what runs on it: the channel layer, the cache, and Celery (broker, the task policy,
the beat schedule). The task policy is stated here once: upscaler/jobs/tasks.py does not restate it."""

from celery.schedules import crontab

from .env import env

REDIS_URL = env.str("REDIS_URL", default="")
# Prefix of srsite's Redis keys: channel layer, worker heartbeats, job metrics.
# UPSCALER_CHANNELS_PREFIX is the variable's old name, still read when the new one is unset.
UPSCALER_REDIS_PREFIX = (
    env.str("UPSCALER_REDIS_PREFIX", default="") or env.str("UPSCALER_CHANNELS_PREFIX", default="") or "srsite"
)

# A websocket consumer waits for its next event with a blocking pop of 5 s (channels_redis's
# brpop_timeout), which an idle Redis answers only when the 5 s are over. redis-py 8's default
# read timeout is also 5 s: it would cut the wait short and crash the consumer of every websocket
# with nothing to say for 5 s (a queued job), so the layer's connections wait longer.
_CHANNEL_LAYER_SOCKET_TIMEOUT = 15  # seconds

if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                "hosts": [{"address": REDIS_URL, "socket_timeout": _CHANNEL_LAYER_SOCKET_TIMEOUT}],
                "prefix": UPSCALER_REDIS_PREFIX,
            },
        }
    }
    # Throttle counters live in the cache: Redis when there is one (shared by all processes).
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    # Only works inside one process: see upscaler/notifications.py and upscaler/jobs/dispatch.py.
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or "memory://")
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=REDIS_URL or None)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Workers log through Django's LOGGING (JSON in production, with the job's ids).
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_WORKER_PREFETCH_MULTIPLIER = 1  # one long inference at a time per worker process

# --- The task policy ------------------------------------------------------------------------
CELERY_TASK_IGNORE_RESULT = True  # job state lives in the database, not in Celery results
# A task is acknowledged when it ends, and given back when its worker dies: the service's claim
# makes a second delivery harmless (services/results.py).
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ROUTES = {
    "upscaler.result_process": {"queue": "inference"},
    "upscaler.webhook_deliver": {"queue": "default"},
    "upscaler.submissions_purge_old": {"queue": "default"},
    "upscaler.sessions_clear_expired": {"queue": "default"},
    "upscaler.results_reap_stale": {"queue": "default"},
}
CELERY_TASK_SOFT_TIME_LIMIT = env.int("UPSCALER_TASK_SOFT_TIME_LIMIT", default=15 * 60)
CELERY_TASK_TIME_LIMIT = CELERY_TASK_SOFT_TIME_LIMIT + 60

# Redis redelivers a task that was delivered but never acknowledged (its worker died) after
# `visibility_timeout` seconds; it should outlast the longest job (an earlier redelivery of a job
# still running only meets the claim, see services/results.py). kombu looks for such tasks on
# every `unacked_restore_throttle`-th tick of `unacked_restore_interval` seconds: once a minute.
# (The integration tests shorten both, in settings/integration.py.)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": CELERY_TASK_TIME_LIMIT + 5 * 60,
    "unacked_restore_interval": 1,
    "unacked_restore_throttle": 60,
}

# `celery -A srsite beat` (the compose `scheduler`): retention once a day, at a quiet hour.
CELERY_BEAT_SCHEDULE = {
    "purge-old-submissions": {
        "task": "upscaler.submissions_purge_old",
        "schedule": crontab(hour=env.int("UPSCALER_RETENTION_HOUR", default=3), minute=17),
    },
    # Expired sessions: Django never deletes their rows by itself.
    "clear-expired-sessions": {
        "task": "upscaler.sessions_clear_expired",
        "schedule": crontab(hour=env.int("UPSCALER_RETENTION_HOUR", default=3), minute=47),
    },
    # Jobs whose worker died (lease expired): re-dispatched, or failed after too many attempts.
    "reap-stale-jobs": {
        "task": "upscaler.results_reap_stale",
        "schedule": 60.0,  # seconds
    },
}
