"""Worker heartbeat: each Celery worker process publishes which models it holds to a Redis hash
every UPSCALER_WORKER_HEARTBEAT_SECONDS; /readyz (ops/checks.py) reads the fresh entries.
Also the preload a worker does after its fork, before its first job."""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time

from django.conf import settings

from upscaler.integrations import engine_provider, redis_client

logger = logging.getLogger(__name__)

# A heartbeat older than this many intervals means the worker is gone (or stuck in a
# long job: the heartbeat thread keeps beating during inference, so it is gone).
STALE_INTERVALS = 3
# Entries of workers that stopped without saying so are removed after this many intervals.
FORGET_INTERVALS = 30


def workers_key() -> str:
    return f"{settings.UPSCALER_REDIS_PREFIX}:workers"



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
