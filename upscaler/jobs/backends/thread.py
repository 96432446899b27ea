"""Threads in the web process (embedded mode): one pool per Celery queue, so a webhook sleeping
between retries never holds the inference pool, and inference keeps its UPSCALER_THREAD_WORKERS."""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.db import connections

from upscaler.jobs.backends.base import JobBackend
from upscaler.jobs.registry import job_run

logger = logging.getLogger(__name__)

#: Threads of the pool for jobs outside the inference queue (webhooks, maintenance).
DEFAULT_QUEUE_THREADS = 2


def _queue_of(name: str) -> str:
    # The routes of CELERY_TASK_ROUTES are the one statement of which queue a job belongs to.
    return settings.CELERY_TASK_ROUTES.get(name, {}).get("queue", settings.CELERY_TASK_DEFAULT_QUEUE)


class ThreadBackend(JobBackend):
    name = "thread"
    runs_in_process = True
    resumes_at_startup = True

    def __init__(self) -> None:
        self._pools: dict[str, ThreadPoolExecutor] = {}
        self._lock = threading.Lock()

    def _pool(self, queue: str) -> ThreadPoolExecutor:
        with self._lock:
            if queue not in self._pools:
                workers = settings.UPSCALER_THREAD_WORKERS if queue == "inference" else DEFAULT_QUEUE_THREADS
                prefix = "upscaler-job" if queue == "inference" else f"upscaler-{queue}"
                self._pools[queue] = ThreadPoolExecutor(max_workers=workers, thread_name_prefix=prefix)
            return self._pools[queue]

    def enqueue(self, name: str, kwargs: dict) -> None:
        self._pool(_queue_of(name)).submit(self._run, name, kwargs)

    @staticmethod
    def _run(name: str, kwargs: dict) -> None:
        try:
            job_run(name, kwargs)
        except Exception:
            logger.exception("job %s %s crashed", name, kwargs)
        finally:
            # Connections are per thread; a pool thread must not keep one open between jobs.
            connections.close_all()

    def shutdown(self, *, wait: bool) -> None:
        with self._lock:
            pools, self._pools = list(self._pools.values()), {}
        for pool in pools:
            pool.shutdown(wait=wait, cancel_futures=True)
