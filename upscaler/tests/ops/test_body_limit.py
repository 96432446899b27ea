"""The ASGI edge refuses bodies larger than an upload can need, before Django spools them."""

import asyncio
import json

import pytest
from django.core.asgi import get_asgi_application

from upscaler.ops.body_limit import RequestBodyLimit
from upscaler.services.submissions import upload_request_limit


def _scope(path="/api/v1/submissions/", length=None):
    headers = [(b"content-type", b"application/octet-stream")]
    if length is not None:
        headers.append((b"content-length", str(length).encode()))
    return {"type": "http", "method": "POST", "path": path, "raw_path": path.encode(), "query_string": b"",
            "headers": headers, "http_version": "1.1", "scheme": "http", "server": ("testserver", 80),
            "client": ("127.0.0.1", 5000), "root_path": ""}


def _run(app, scope, chunks):
    """Feed `chunks` as the body; returns (messages sent, chunks the client got to send)."""
    sent, pulled = [], []

    async def receive():
        if pulled and not pulled[-1][1]:
            await asyncio.sleep(3600)  # the client has nothing more to say
        chunk, more = chunks[len(pulled)] if len(pulled) < len(chunks) else (b"", False)
        pulled.append((chunk, more))
        return {"type": "http.request", "body": chunk, "more_body": more}

    async def send(message):
        sent.append(message)

    asyncio.run(asyncio.wait_for(app(scope, receive, send), 10))
    return sent, pulled


def _status_and_body(sent):
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], body


@pytest.fixture
def small_limit(settings):
    settings.UPSCALER_MAX_UPLOAD_BYTES = 30 * 1024
    return upload_request_limit()


def test_a_declared_length_over_the_limit_is_refused_before_any_byte_is_read(small_limit):
    called = []

    async def inner(scope, receive, send):
        called.append(True)

    sent, pulled = _run(RequestBodyLimit(inner), _scope(length=small_limit + 1), [(b"x", False)])
    status, body = _status_and_body(sent)
    assert status == 413 and not called and not pulled
    assert json.loads(body)["error"]["code"] == "too_large"


@pytest.mark.django_db
def test_a_chunked_body_is_cut_off_where_it_passes_the_limit(small_limit):
    # Django's own ASGI handler behind the edge: it would spool every chunk of an endless body.
    chunk = b"\0" * (256 * 1024)
    endless = [(chunk, True)] * 100  # 25 MiB, no Content-Length
    sent, pulled = _run(RequestBodyLimit(get_asgi_application()), _scope(path="/"), endless)
    status, body = _status_and_body(sent)
    assert status == 413 and b"larger than this server accepts" in body
    assert len(pulled) * len(chunk) <= small_limit + len(chunk)  # stopped right after the limit


@pytest.mark.django_db
def test_bodies_within_the_limit_reach_django_untouched(small_limit):
    sent, _ = _run(RequestBodyLimit(get_asgi_application()), _scope(path="/healthz", length=10),
                   [(b"0123456789", False)])
    status, body = _status_and_body(sent)
    assert status != 413 and b"larger than this server accepts" not in body  # Django's own answer


def test_websockets_and_lifespan_pass_through():
    seen = []

    async def inner(scope, receive, send):
        seen.append(scope["type"])

    asyncio.run(RequestBodyLimit(inner)({"type": "websocket"}, None, None))
    assert seen == ["websocket"]
