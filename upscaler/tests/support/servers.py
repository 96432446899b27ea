"""Helpers for tests that start real processes: an ASGI server (uvicorn), a Celery worker,
and an HTTP + websocket client that behaves like the browser."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import httpx
from websockets.sync.client import connect as ws_connect

ROOT = Path(__file__).resolve().parents[3]
PYTHON = sys.executable


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def process(args: list[str], *, env: dict, log_path: Path):
    """Run a subprocess in its own process group; kill the whole group on exit."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            yield proc
        finally:
            _kill_group(proc)


def _kill_group(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    for sig, wait in ((signal.SIGTERM, 15), (signal.SIGKILL, 10)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


def wait_http(url: str, proc: subprocess.Popen, log_path: Path, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited ({proc.returncode}):\n{log_path.read_text()[-4000:]}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"server did not answer {url} in {timeout}s:\n{log_path.read_text()[-4000:]}")


def start_server(env: dict, log_path: Path):
    port = free_port()
    args = [PYTHON, "-m", "uvicorn", "srsite.asgi:application", "--host", "127.0.0.1",
            "--port", str(port), "--lifespan", "on"]
    return port, process(args, env=env, log_path=log_path)


def start_worker(env: dict, log_path: Path):
    args = [PYTHON, "-m", "celery", "-A", "srsite", "worker", "-Q", "inference",
            "--concurrency", "1", "--without-gossip", "--without-mingle", "--without-heartbeat",
            "--loglevel", "INFO", "-n", f"test-{os.getpid()}@%h"]
    return process(args, env=env, log_path=log_path)


class Browser:
    """Does what the upload page and submission.js do, over real HTTP and websockets."""

    def __init__(self, port: int):
        self.port = port
        self.base = f"http://127.0.0.1:{port}"
        self.http = httpx.Client(base_url=self.base, timeout=60)

    def upload(self, data: bytes, *, scale: int = 4, model: str = "bicubic") -> httpx.Response:
        page = self.http.get("/")
        page.raise_for_status()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
        return self.http.post(
            "/",
            data={"csrfmiddlewaretoken": token, "scale": str(scale), "model": model},
            files={"image": ("photo.png", data, "image/png")},
        )

    def upload_ok(self, data: bytes, **kwargs) -> str:
        response = self.upload(data, **kwargs)
        assert response.status_code == 302, response.text[:2000]
        match = re.fullmatch(r"/s/([0-9a-f-]{36})/", response.headers["location"])
        assert match, response.headers["location"]
        return match.group(1)

    def websocket(self, submission_id: str):
        cookie = "; ".join(f"{k}={v}" for k, v in self.http.cookies.items())
        return ws_connect(
            f"ws://127.0.0.1:{self.port}/ws/submissions/{submission_id}/",
            origin=self.base,
            additional_headers={"Cookie": cookie} if cookie else None,
            open_timeout=20,
        )


def receive_event(ws, timeout: float) -> dict:
    return json.loads(ws.recv(timeout=timeout))


def receive_until_final(ws, timeout: float) -> list[dict]:
    deadline = time.monotonic() + timeout
    events = []
    while True:
        remaining = deadline - time.monotonic()
        assert remaining > 0, f"no final event within {timeout}s; got {events}"
        events.append(receive_event(ws, remaining))
        if events[-1]["final"]:
            return events
