"""Readiness: the database, Redis (channel layer and broker), and at least one job runner with a
model loaded. Celery worker processes publish a heartbeat (which models they hold) to a Redis
hash; /readyz reads it. In embedded mode the in-process runner is the worker.

Each check is one round trip with a short timeout, so a probe every few seconds costs little.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.db import connection

from upscaler import engine_provider, redis_client

logger = logging.getLogger(__name__)

# A heartbeat older than this many intervals means the worker is gone (or stuck in a
# long job: the heartbeat thread keeps beating during inference, so it is gone).
STALE_INTERVALS = 3
# Entries of workers that stopped without saying so are removed after this many intervals.
FORGET_INTERVALS = 30


@dataclass
class Check:
    name: str
    ok: bool
    detail: str


def workers_key() -> str:
    return f"{settings.UPSCALER_REDIS_PREFIX}:workers"


# --- Worker side: heartbeat -------------------------------------------------------------------


class Heartbeat:
    """A daemon thread in a worker process: publishes the loaded models every interval."""

    def __init__(self, *, interval: float | None = None):
        self.interval = interval or settings.UPSCALER_WORKER_HEARTBEAT_SECONDS
        self.member = f"{socket.gethostname()}:{os.getpid()}"
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="srsite-heartbeat", daemon=True)

    def start(self) -> Heartbeat:
        try:
            self.beat()
        except Exception:
            logger.warning("heartbeat failed", exc_info=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        try:
            redis_client.get().hdel(workers_key(), self.member)
        except Exception:
            logger.warning("heartbeat: could not remove %s", self.member, exc_info=True)

    def beat(self) -> None:
        now = time.time()
        value = json.dumps({"at": now, "models": engine_provider.loaded_models(), "pid": os.getpid()})
        client = redis_client.get()
        client.hset(workers_key(), self.member, value)
        forget_before = now - FORGET_INTERVALS * self.interval
        stale = [member for member, entry in _read_entries(client).items() if entry["at"] < forget_before]
        if stale:
            client.hdel(workers_key(), *stale)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.beat()
            except Exception:
                logger.warning("heartbeat failed", exc_info=True)


def _read_entries(client) -> dict[str, dict]:
    entries = {}
    for member, raw in client.hgetall(workers_key()).items():
        try:
            entries[member.decode()] = json.loads(raw)
        except ValueError:
            continue
    return entries


def workers_alive() -> dict[str, list[str]]:
    """Worker processes with a fresh heartbeat -> the models they have loaded."""
    fresh_after = time.time() - STALE_INTERVALS * settings.UPSCALER_WORKER_HEARTBEAT_SECONDS
    return {
        member: entry.get("models", [])
        for member, entry in _read_entries(redis_client.get()).items()
        if entry.get("at", 0) >= fresh_after
    }


def worker_preload() -> list[str]:
    """Load the configured models in this (worker) process; returns what failed to load."""
    pairs = settings.UPSCALER_WORKER_PRELOAD or [f"{engine_provider.default_model_name(4)}:4"]
    failed = []
    for pair in pairs:
        name, _, scale = pair.rpartition(":")
        try:
            engine_provider.get_upscaler(name, int(scale))
        except Exception:
            logger.exception("could not load model %s", pair)
            failed.append(pair)
    return failed


# --- Web side: checks ---------------------------------------------------------------------------


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
    runner = settings.UPSCALER_JOB_RUNNER
    if runner != "celery":
        return Check("workers", True, f"in-process runner ({runner})")
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
    if settings.UPSCALER_JOB_RUNNER == "celery" and broker != settings.REDIS_URL:
        if urlsplit(broker).scheme in ("redis", "rediss"):
            checks.append(_check_redis("broker", broker))
        else:
            checks.append(Check("broker", True, "not checked (not Redis)"))
    checks.append(_check_workers())
    return checks
