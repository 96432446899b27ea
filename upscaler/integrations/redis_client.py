"""Shared Redis clients (one connection pool per URL and process) for heartbeats, metrics and
readiness checks, with short timeouts: a probe must answer fast even when Redis does not."""

from __future__ import annotations

import os
import threading

import redis
from django.conf import settings

TIMEOUT_SECONDS = 2.0

_clients: dict[tuple[int, str], redis.Redis] = {}
_lock = threading.Lock()


def get(url: str | None = None) -> redis.Redis:
    url = url or settings.REDIS_URL
    # Per process id: a pool inherited across fork (Celery prefork) must not be shared.
    key = (os.getpid(), url)
    client = _clients.get(key)
    if client is None:
        with _lock:
            client = _clients.get(key)
            if client is None:
                client = redis.Redis.from_url(
                    url, socket_timeout=TIMEOUT_SECONDS, socket_connect_timeout=TIMEOUT_SECONDS
                )
                _clients[key] = client
    return client
