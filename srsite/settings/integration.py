"""The integration tests' servers and workers (upscaler/tests/integration/ starts them with this
module): production settings, plus the tuning knobs that let a crash and its recovery (broker
redelivery, the reaper, heartbeats, re-sends) be seen within seconds. Never deployed: these
variables are not part of the production surface, nor of .env.example."""

from .production import *  # noqa: F403
from .production import (
    CELERY_BEAT_SCHEDULE,
    CELERY_BROKER_TRANSPORT_OPTIONS,
    UPSCALER_JOB_REQUEUE_SECONDS,
    UPSCALER_PROGRESS_INTERVAL,
    UPSCALER_WORKER_HEARTBEAT_SECONDS,
    env,
)

# Unset, each keeps production's value: the tests set only those they need to shorten.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    **CELERY_BROKER_TRANSPORT_OPTIONS,
    "visibility_timeout": env.int(
        "UPSCALER_BROKER_VISIBILITY_TIMEOUT", default=CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
    ),
    "unacked_restore_throttle": env.int(
        "UPSCALER_BROKER_RESTORE_SECONDS", default=CELERY_BROKER_TRANSPORT_OPTIONS["unacked_restore_throttle"]
    ),
}
CELERY_BEAT_SCHEDULE = {
    **CELERY_BEAT_SCHEDULE,
    "reap-stale-jobs": {
        **CELERY_BEAT_SCHEDULE["reap-stale-jobs"],
        "schedule": env.float(
            "UPSCALER_REAP_INTERVAL_SECONDS", default=CELERY_BEAT_SCHEDULE["reap-stale-jobs"]["schedule"]
        ),
    },
}
UPSCALER_WORKER_HEARTBEAT_SECONDS = env.float(
    "UPSCALER_WORKER_HEARTBEAT_SECONDS", default=UPSCALER_WORKER_HEARTBEAT_SECONDS
)
UPSCALER_JOB_REQUEUE_SECONDS = env.int("UPSCALER_JOB_REQUEUE_SECONDS", default=UPSCALER_JOB_REQUEUE_SECONDS)
UPSCALER_PROGRESS_INTERVAL = env.float("UPSCALER_PROGRESS_INTERVAL", default=UPSCALER_PROGRESS_INTERVAL)
