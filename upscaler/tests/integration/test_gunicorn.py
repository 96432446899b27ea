"""The web tier as deployed: gunicorn with gunicorn.conf.py (uvicorn workers, two of them) in
production settings on PostgreSQL + Redis, a real Celery worker: /healthz, /readyz (503 until a
worker reports a loaded model), a websocket through gunicorn, /metrics summed across gunicorn
workers (multiprocess mode), JSON logs with the submission id, and a clean SIGTERM stop."""

from __future__ import annotations

import json
import signal
import time

import httpx
import pytest
from django.contrib.auth import get_user_model
from prometheus_client.parser import text_string_to_metric_families
from websockets.sync.client import connect as ws_connect

from upscaler.engine.registry import default_model_name
from upscaler.integrations import redis_client
from upscaler.jobs import heartbeat
from upscaler.services.tokens import api_token_create
from upscaler.tests.conftest import make_image_bytes
from upscaler.tests.integration.conftest import ARTIFACTS
from upscaler.tests.support.servers import PYTHON, free_port, process, receive_event, receive_until_final, wait_http

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

GUNICORN_WORKERS = 2


@pytest.fixture
def gunicorn(stack_env, tmp_path):
    port = free_port()
    env = {
        **stack_env,
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": str(GUNICORN_WORKERS),
        "GUNICORN_GRACEFUL_TIMEOUT": "10",
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "prometheus"),
        "DJANGO_LOG_FORMAT": "json",
    }
    log = ARTIFACTS / "gunicorn.log"
    args = [PYTHON, "-m", "gunicorn", "-c", "gunicorn.conf.py", "srsite.asgi:application"]
    with process(args, env=env, log_path=log) as proc:
        wait_http(f"http://127.0.0.1:{port}/healthz", proc, log)
        yield {"port": port, "proc": proc, "log": log, "base": f"http://127.0.0.1:{port}"}


def samples(text: str) -> dict[tuple, float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def wait_ready(base: str, timeout: float = 90) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        response = httpx.get(f"{base}/readyz", timeout=10)
        if response.status_code == 200 or time.monotonic() > deadline:
            return response.json()
        time.sleep(0.5)


def test_gunicorn_stack(gunicorn, worker):
    base = gunicorn["base"]
    redis_client.get().delete(heartbeat.workers_key())  # heartbeats of earlier tests' workers

    assert httpx.get(f"{base}/healthz").text == "ok"
    not_ready = httpx.get(f"{base}/readyz", timeout=10)
    assert not_ready.status_code == 503, not_ready.text
    checks = not_ready.json()["checks"]
    assert checks["database"]["ok"] and checks["redis"]["ok"] and not checks["workers"]["ok"]

    user = get_user_model().objects.create_user("gunicorn-tester")
    _token, key = api_token_create(user=user, name="integration")
    api = httpx.Client(base_url=base, headers={"Authorization": f"Token {key}"}, timeout=30)
    created = api.post("/api/v1/submissions/", data={"scale": "2", "model": "bicubic"},
                       files={"image": ("a.png", make_image_bytes(20, 16), "image/png")})
    assert created.status_code == 202, created.text
    submission = created.json()

    with ws_connect(submission["links"]["websocket"], origin=base, open_timeout=20,
                    additional_headers={"Authorization": f"Token {key}"}) as ws:
        assert receive_event(ws, timeout=20)["status"] == "queued"  # no worker yet
        _proc, worker_log = worker()
        events = receive_until_final(ws, timeout=180)
    assert events[-1]["status"] == "succeeded", events[-1]

    ready = wait_ready(base)
    assert ready["ready"], ready
    # The worker preloads the default x4 model at start: our trained one when it ships.
    preloaded = f"{default_model_name(4)}:4"
    assert preloaded in ready["checks"]["workers"]["detail"]

    # New connections land on either gunicorn worker; multiprocess mode sums both.
    requests = 30
    for _ in range(requests):
        assert httpx.get(f"{base}/healthz").status_code == 200
    values = samples(httpx.get(f"{base}/metrics").text)
    assert values[("srsite_http_requests_total", (("method", "GET"), ("status", "200")))] >= requests
    assert values[("srsite_jobs", (("status", "succeeded"),))] == 1
    assert values[("srsite_inference_seconds_count", (("model", "bicubic"),))] >= 1  # from the worker
    assert values[("srsite_output_megapixels_total", (("model", "bicubic"),))] > 0
    assert values[("srsite_queue_length", (("queue", "inference"),))] == 0

    # The worker's job lines are JSON with the submission id.
    lines = [json.loads(line) for line in worker_log.read_text().splitlines() if line.startswith("{")]
    job_lines = [entry for entry in lines if entry.get("logger") == "upscaler.services.results"]
    assert job_lines and all(entry["submission_id"] == submission["id"] for entry in job_lines)
    # gunicorn's access lines are JSON with fields.
    access = [json.loads(line) for line in gunicorn["log"].read_text().splitlines()
              if line.startswith("{") and '"uvicorn.access"' in line]
    assert any(entry["path"] == "/healthz" and entry["status"] == 200 for entry in access)

    gunicorn["proc"].send_signal(signal.SIGTERM)
    assert gunicorn["proc"].wait(timeout=30) == 0
