"""API test fixtures: token-authenticated clients for two users, a local HTTP server that can
play an image host or a webhook receiver, and clean throttle counters."""

from __future__ import annotations

import contextlib
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from rest_framework.test import APIClient

from upscaler.services.tokens import api_token_create


@pytest.fixture(autouse=True)
def _fresh_throttles():
    cache.clear()
    yield
    cache.clear()


def token_client(user) -> APIClient:
    _token, key = api_token_create(user=user, name="tests")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    client.key = key
    return client


@pytest.fixture
def api(user) -> APIClient:
    """alice's token client."""
    return token_client(user)


@pytest.fixture
def bob(db):
    return get_user_model().objects.create_user("bob", password="pw-bob-123")


@pytest.fixture
def bob_api(bob) -> APIClient:
    return token_client(bob)


@dataclass
class Route:
    status: int = 200
    headers: dict = field(default_factory=dict)
    body: bytes = b""
    delay: float = 0.0  # seconds before answering
    # Answer with these statuses first, then with `status` (for retried webhooks).
    first_statuses: list = field(default_factory=list)


@dataclass
class Hit:
    method: str
    path: str
    headers: dict
    body: bytes


class LocalServer:
    """An HTTP server on 127.0.0.1 serving `routes` and recording every request."""

    def __init__(self):
        self.routes: dict[str, Route] = {}
        self.hits: list[Hit] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                server.hits.append(Hit(self.command, self.path, dict(self.headers), body))
                route = server.routes.get(self.path)
                if route is None:
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if route.delay:
                    time.sleep(route.delay)
                status = route.first_statuses.pop(0) if route.first_statuses else route.status
                self.send_response(status)
                for name, value in route.headers.items():
                    self.send_header(name, value)
                if "Content-Length" not in route.headers:
                    self.send_header("Content-Length", str(len(route.body)))
                self.end_headers()
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(route.body)

            do_GET = do_POST = _answer

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"


@contextlib.contextmanager
def running_local_server():
    """A started LocalServer, shut down and closed on exit (fixtures of any scope use this)."""
    server = LocalServer()
    server.thread.start()
    try:
        yield server
    finally:
        server.httpd.shutdown()
        server.httpd.server_close()


@pytest.fixture
def local_server():
    with running_local_server() as server:
        yield server


@pytest.fixture
def allow_loopback(settings):
    """The allow-list that lets url_fetch reach the local server (and nothing else private)."""
    settings.UPSCALER_URL_FETCH_ALLOWLIST = ["127.0.0.1/32"]
