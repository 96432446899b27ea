"""The request-body limit at the ASGI edge: a body larger than an upload can need
(services.submissions.upload_request_limit) is answered 413 before Django reads (and spools to
disk) any of it.

Django's ASGI handler reads the whole body into a temporary file before routing, for any URL,
and neither uvicorn nor gunicorn caps it: without this, `curl -T /dev/zero` fills the web
container's disk. A declared Content-Length over the limit is refused at once; a chunked body is
counted as it streams, and cut off (the app sees the client disconnect) the moment it passes.
Operators should set the same limit on their proxy (README, "Behind a reverse proxy").
"""

from __future__ import annotations

import json

from upscaler.services.submissions import upload_request_limit

MESSAGE = "The request is larger than this server accepts ({mb} MB)."


def _declared_length(scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _refuse(scope, send, limit: int) -> None:
    message = MESSAGE.format(mb=limit // (1024 * 1024))
    if scope.get("path", "").startswith("/api/"):
        body = json.dumps({"error": {"code": "too_large", "message": message}}).encode()
        content_type = b"application/json"
    else:
        body = f"<!doctype html><title>Too large</title><p>{message}</p>".encode()
        content_type = b"text/html; charset=utf-8"
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", content_type), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})


class RequestBodyLimit:
    """ASGI middleware for the HTTP app (websockets and lifespan pass through)."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        limit = upload_request_limit()
        declared = _declared_length(scope)
        if declared is not None and declared > limit:
            return await _refuse(scope, send, limit)
        state = {"received": 0, "cut": False, "started": False}

        async def counting_receive():
            message = await receive()
            if message["type"] == "http.request":
                state["received"] += len(message.get("body", b""))
                if state["received"] > limit:
                    state["cut"] = True
                    return {"type": "http.disconnect"}  # Django stops reading and answers nothing
            return message

        async def guarded_send(message):
            if state["cut"]:
                return
            state["started"] = True
            await send(message)

        await self.app(scope, counting_receive, guarded_send)
        if state["cut"] and not state["started"]:
            await _refuse(scope, send, limit)
