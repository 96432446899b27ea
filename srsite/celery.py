"""The Celery application; workers run `celery -A srsite worker -Q inference,default`, the
scheduler `celery -A srsite beat` (retention)."""

import os

from celery import Celery
from celery.signals import worker_process_init, worker_process_shutdown

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "srsite.settings.dev")

app = Celery("srsite")
app.config_from_object("django.conf:settings", namespace="CELERY")
# Tasks live in upscaler/jobs/tasks.py, not in an app-level tasks.py.
app.autodiscover_tasks(["upscaler.jobs"])

_heartbeat = None


@worker_process_init.connect
def _worker_process_start(**kwargs) -> None:
    """In each pool process, after the fork (CUDA must not be touched before it): load the
    models, then report them to /readyz through a heartbeat."""
    global _heartbeat
    from django.conf import settings

    from upscaler.jobs.heartbeat import Heartbeat, worker_preload

    worker_preload()
    if settings.REDIS_URL:
        _heartbeat = Heartbeat().start()


@worker_process_shutdown.connect
def _worker_process_stop(**kwargs) -> None:
    if _heartbeat is not None:
        _heartbeat.stop()
