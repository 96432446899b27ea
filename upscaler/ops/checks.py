"""Readiness checks: the database, Redis (channel layer and broker), and at least one job runner
with a model loaded (a fresh worker heartbeat, jobs/heartbeat.py; in embedded mode the in-process
backend is the worker). Each check is one round trip with a short timeout, so a probe every few
seconds costs little."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.db import connection

from upscaler.integrations import redis_client
from upscaler.jobs.dispatch import get_backend
from upscaler.jobs.heartbeat import workers_alive


@dataclass
class Check:
    name: str
    ok: bool
    detail: str



def _check_database() -> Check:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return Check("database", True, connection.vendor)
    except Exception as exc:
        return Check("database", False, f"{type(exc).__name__}: {exc}")


def _check_redis(name: str, url: str) -> Check:
    try:
        redis_client.get(url).ping()
        return Check(name, True, "ping")
    except Exception as exc:
        return Check(name, False, f"{type(exc).__name__}: {exc}")


def _check_workers() -> Check:
    backend = get_backend()
    if backend.runs_in_process:
        return Check("workers", True, f"in-process runner ({backend.name})")
    if not settings.REDIS_URL:
        return Check("workers", False, "Celery workers report through Redis: REDIS_URL is not set")
    try:
        alive = workers_alive()
    except Exception as exc:
        return Check("workers", False, f"{type(exc).__name__}: {exc}")
    ready = {member: models for member, models in alive.items() if models}
    if not ready:
        detail = "no worker heartbeat" if not alive else "no worker has a model loaded yet"
        return Check("workers", False, detail)
    models = sorted({m for models in ready.values() for m in models})
    return Check("workers", True, f"{len(ready)} worker process(es); models {', '.join(models)}")


def readiness_checks() -> list[Check]:
    checks = [_check_database()]
    if settings.REDIS_URL:
        checks.append(_check_redis("redis", settings.REDIS_URL))  # channel layer, heartbeats
    broker = settings.CELERY_BROKER_URL
    if get_backend().name == "celery" and broker != settings.REDIS_URL:
        if urlsplit(broker).scheme in ("redis", "rediss"):
            checks.append(_check_redis("broker", broker))
        else:
            checks.append(Check("broker", True, "not checked (not Redis)"))
    checks.append(_check_workers())
    return checks
