"""Prometheus metrics: what is counted where, and the registry a scrape of /metrics collects.

- HTTP requests by method and status: a prometheus-client Counter in each web process. Under
  gunicorn, PROMETHEUS_MULTIPROC_DIR (set by gunicorn.conf.py) makes the workers write their
  values to files that a scrape sums, whichever worker answers it.
- Jobs by status and queue depth: read at scrape time (one grouped query, LLEN per queue).
- Inference seconds (histogram) and output megapixels (counter) are observed where jobs run,
  in Celery workers on other hosts too (integrations/job_metrics.py); collected here.
"""

from __future__ import annotations

import logging
import os
from urllib.parse import urlsplit

from django.conf import settings
from prometheus_client import REGISTRY, CollectorRegistry, Counter, generate_latest, multiprocess
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily

from upscaler.integrations import redis_client
from upscaler.integrations.job_metrics import INFERENCE_BUCKETS, job_store
from upscaler.models import Result

logger = logging.getLogger(__name__)

HTTP_REQUESTS = Counter("srsite_http_requests", "HTTP requests answered", ["method", "status"])
HTTP_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

# Celery's queues (see CELERY_TASK_ROUTES); kombu keeps a Redis list per queue and priority step.
QUEUES = ("inference", "default")
KOMBU_PRIORITY_STEPS = (3, 6, 9)
KOMBU_PRIORITY_SEP = "\x06\x16"


def http_request_observe(*, method: str, status: int) -> None:
    HTTP_REQUESTS.labels(method=method if method in HTTP_METHODS else "other", status=str(status)).inc()


# --- Collectors (run at scrape time) ------------------------------------------------------------


class JobObservationsCollector:
    def collect(self):
        values = job_store().read()
        models = sorted({field.split("|")[1] for field in values if field.startswith("count|")})
        histogram = HistogramMetricFamily(
            "srsite_inference_seconds", "Time spent upscaling, per succeeded job", labels=["model"]
        )
        megapixels = CounterMetricFamily(
            "srsite_output_megapixels", "Megapixels of succeeded outputs", labels=["model"]
        )
        for model in models:
            buckets = [(str(b), values.get(f"bucket|{model}|{b}", 0.0)) for b in INFERENCE_BUCKETS]
            buckets.append(("+Inf", values[f"count|{model}"]))
            histogram.add_metric([model], buckets, values.get(f"sum|{model}", 0.0))
            megapixels.add_metric([model], values.get(f"mpx|{model}", 0.0))
        yield histogram
        yield megapixels


class JobsByStatusCollector:
    def collect(self):
        from django.db.models import Count

        counts = dict(Result.objects.order_by().values_list("status").annotate(n=Count("id")))
        family = GaugeMetricFamily("srsite_jobs", "Results (jobs) in the database by status", labels=["status"])
        for status in Result.Status.values:
            family.add_metric([status], counts.get(status, 0))
        yield family


class QueueDepthCollector:
    """Messages waiting in the Celery queues (Redis broker only)."""

    def collect(self):
        broker = settings.CELERY_BROKER_URL
        if urlsplit(broker).scheme not in ("redis", "rediss"):
            return
        client = redis_client.get(broker)
        pipe = client.pipeline(transaction=False)
        for queue in QUEUES:
            pipe.llen(queue)
            for step in KOMBU_PRIORITY_STEPS:
                pipe.llen(f"{queue}{KOMBU_PRIORITY_SEP}{step}")
        lengths = iter(pipe.execute())
        family = GaugeMetricFamily("srsite_queue_length", "Tasks waiting in a Celery queue", labels=["queue"])
        for queue in QUEUES:
            family.add_metric([queue], sum(next(lengths) for _ in range(1 + len(KOMBU_PRIORITY_STEPS))))
        yield family


class _Guarded:
    """A collector whose failure (database or Redis down) drops its metrics, not the scrape."""

    def __init__(self, collector):
        self.collector = collector

    def collect(self):
        try:
            return list(self.collector.collect())
        except Exception:
            logger.warning("metrics: %s failed", type(self.collector).__name__, exc_info=True)
            return []


class _ProcessRegistry:
    """The default registry's metrics (this process's counters, process/GC collectors)."""

    def collect(self):
        return REGISTRY.collect()


def metrics_render() -> bytes:
    """The text exposition of everything above, for one scrape."""
    registry = CollectorRegistry(auto_describe=False)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(registry)  # every gunicorn worker's HTTP counters
    else:
        registry.register(_ProcessRegistry())
    for collector in (JobsByStatusCollector(), QueueDepthCollector(), JobObservationsCollector()):
        registry.register(_Guarded(collector))
    return generate_latest(registry)
