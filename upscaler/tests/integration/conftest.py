"""Integration fixtures: this machine's PostgreSQL and Redis (unreachable = FAIL, never skip),
an ASGI server in production settings, and Celery workers started on demand."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.db import connection

from upscaler.tests.support.servers import PYTHON, ROOT, start_server, start_worker, wait_http

ARTIFACTS = ROOT / "test-artifacts" / "integration"


@pytest.fixture(scope="session")
def infrastructure() -> dict:
    """Fail loudly unless pytest itself runs against PostgreSQL and Redis."""
    engine = settings.DATABASES["default"]["ENGINE"]
    if "postgresql" not in engine:
        pytest.fail(
            f"integration tests need DATABASE_URL pointing at PostgreSQL (got {engine}); "
            "run them with `make test-integration`"
        )
    if not settings.REDIS_URL:
        pytest.fail("integration tests need REDIS_URL; run them with `make test-integration`")
    try:
        client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=3)
        client.ping()
    except redis.RedisError as exc:
        pytest.fail(f"Redis at {settings.REDIS_URL} is unreachable: {exc}")
    # This Redis DB number belongs to the tests: start from an empty broker and layer.
    client.flushdb()
    return {"redis_url": settings.REDIS_URL}


@pytest.fixture(scope="session")
def stack_env(infrastructure, django_db_setup, django_db_blocker, tmp_path_factory) -> dict:
    """Environment for server and worker: production settings on pytest's test database (through
    srsite.settings.integration, which also reads the knobs a test may shorten, such as
    UPSCALER_BROKER_VISIBILITY_TIMEOUT: deployments have no such variables)."""
    with django_db_blocker.unblock():
        connection.ensure_connection()
    db = connection.settings_dict
    database_url = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"
    root = tmp_path_factory.mktemp("stack")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "srsite.settings.integration",
        "DATABASE_URL": database_url,
        "REDIS_URL": infrastructure["redis_url"],
        "UPSCALER_REDIS_PREFIX": "srsite-test",
        "DJANGO_SECRET_KEY": "integration-test-secret-" + "k" * 40,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SECURE_COOKIES": "false",
        # Plain HTTP on loopback: no TLS proxy in front of these servers.
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "DJANGO_MEDIA_ROOT": str(root / "media"),
        "DJANGO_STATIC_ROOT": str(root / "static"),
        "UPSCALER_JOB_BACKEND": "celery",
    }
    env.pop("CELERY_BROKER_URL", None)
    subprocess.run(
        [PYTHON, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT, env=env, check=True, timeout=180,
    )
    return env


@pytest.fixture(scope="session")
def server_port(stack_env) -> int:
    log = ARTIFACTS / "server.log"
    port, server = start_server(stack_env, log)
    with server as proc:
        wait_http(f"http://127.0.0.1:{port}/healthz", proc, log)
        yield port


@pytest.fixture
def media_root_of_stack(stack_env) -> Path:
    return Path(stack_env["DJANGO_MEDIA_ROOT"])


@pytest.fixture
def worker(stack_env):
    """Returns a function that starts a Celery `inference` worker (stopped at teardown)."""
    started = []

    def _start():
        log = ARTIFACTS / f"worker-{len(started)}.log"
        context = start_worker(stack_env, log)
        proc = context.__enter__()
        started.append((context, proc, log))
        return proc, log

    yield _start
    for context, _, _ in reversed(started):
        context.__exit__(None, None, None)
