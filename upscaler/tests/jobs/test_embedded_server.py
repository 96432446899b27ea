"""Embedded mode for real: `make run`'s server (uvicorn, dev settings, SQLite, thread runner,
in-memory channel layer) in a subprocess, driven over HTTP and a websocket."""

import io
import os

import pytest
from PIL import Image

from upscaler.tests.conftest import make_image_bytes
from upscaler.tests.support.servers import (
    PYTHON,
    ROOT,
    Browser,
    receive_event,
    receive_until_final,
    start_server,
    wait_http,
)

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

# 512x512 at x8 takes over a second with bicubic here: long enough for the websocket to
# subscribe while the job is still running, so completion must arrive live.
SIDE, SCALE = 512, 8


@pytest.fixture
def embedded_server(tmp_path):
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "UPSCALER_JOB_RUNNER",
                        "UPSCALER_JOB_BACKEND")}
    env.update({"DJANGO_SETTINGS_MODULE": "srsite.settings.dev", "UPSCALER_DATA_DIR": str(tmp_path)})
    import subprocess

    subprocess.run([PYTHON, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env,
                   check=True, timeout=120)
    log = tmp_path / "server.log"
    port, server = start_server(env, log)
    with server as proc:
        wait_http(f"http://127.0.0.1:{port}/healthz", proc, log)
        yield port, tmp_path, log


def test_upload_then_live_progress_and_result_through_the_in_memory_layer(embedded_server):
    port, data_dir, log = embedded_server
    browser = Browser(port)
    submission_id = browser.upload_ok(make_image_bytes(SIDE, SIDE), scale=SCALE)

    with browser.websocket(submission_id) as ws:
        snapshot = receive_event(ws, timeout=30)
        assert snapshot["status"] in ("queued", "running"), (snapshot, log.read_text()[-3000:])
        assert snapshot["final"] is False
        events = receive_until_final(ws, timeout=120)

    assert events[-1]["status"] == "succeeded", events
    assert events[-1]["progress"] == 100
    output = browser.http.get(events[-1]["output_url"])
    assert output.status_code == 200
    assert Image.open(io.BytesIO(output.content)).size == (SIDE * SCALE, SIDE * SCALE)
    reference = browser.http.get(events[-1]["reference_url"])
    assert Image.open(io.BytesIO(reference.content)).size == (SIDE * SCALE, SIDE * SCALE)
    # the page the browser loads after the redirect, and its script, are served
    assert browser.http.get(f"/s/{submission_id}/").status_code == 200
    assert "WebSocket" in browser.http.get("/static/upscaler/submission.js").text
    assert (data_dir / "db.sqlite3").exists()
    assert list((data_dir / "media" / "results").rglob("*.png"))
