"""Job observations, written where a job ran: inference seconds (histogram buckets) and output
megapixels per model. With Redis they accumulate in one hash that every web process reads, so one
scrape of any web process sees every worker (ops/metrics.py collects them); without Redis (embedded
mode) jobs run in the web process and the values stay in its memory."""

from __future__ import annotations

import logging
import threading
from collections import defaultdict

from django.conf import settings

from upscaler.integrations import redis_client

logger = logging.getLogger(__name__)

# Seconds per job: bicubic on a small image takes milliseconds, a large GAN job minutes.
INFERENCE_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600)



class _LocalJobStore:
    """Embedded mode: one process runs the jobs and answers the scrapes."""

    def __init__(self):
        self._lock = threading.Lock()
        self._values: dict[str, float] = defaultdict(float)

    def add(self, increments: dict[str, float]) -> None:
        with self._lock:
            for field, value in increments.items():
                self._values[field] += value

    def read(self) -> dict[str, float]:
        with self._lock:
            return dict(self._values)


class _RedisJobStore:
    def key(self) -> str:
        return f"{settings.UPSCALER_REDIS_PREFIX}:metrics:jobs"

    def add(self, increments: dict[str, float]) -> None:
        pipe = redis_client.get().pipeline(transaction=False)
        for field, value in increments.items():
            pipe.hincrbyfloat(self.key(), field, value)
        pipe.execute()

    def read(self) -> dict[str, float]:
        return {k.decode(): float(v) for k, v in redis_client.get().hgetall(self.key()).items()}


_local_store = _LocalJobStore()


def job_store():
    return _RedisJobStore() if settings.REDIS_URL else _local_store


def job_observe(*, model_name: str, seconds: float, output_pixels: int) -> None:
    """Record one succeeded job. Never raises: metrics must not fail a job."""
    increments = {f"count|{model_name}": 1, f"sum|{model_name}": seconds,
                  f"mpx|{model_name}": output_pixels / 1e6}
    for bound in INFERENCE_BUCKETS:
        if seconds <= bound:
            increments[f"bucket|{model_name}|{bound}"] = 1
    try:
        job_store().add(increments)
    except Exception:
        logger.warning("could not record job metrics", exc_info=True)
