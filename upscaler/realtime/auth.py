"""Websocket authentication: the `Authorization: Token <key>` header for scripts (browsers use
their session cookie), and the Origin check that keeps foreign pages out of a browser's session."""

from __future__ import annotations

from channels.db import database_sync_to_async
from channels.security.websocket import AllowedHostsOriginValidator

from upscaler.services.tokens import api_token_authenticate


class WebsocketTokenAuthMiddleware:
    """Lets scripts subscribe to websockets with the same `Authorization: Token <key>` header
    (browsers use their session cookie). Wraps the session/auth middleware stack."""

    def __init__(self, inner):
        self.inner = inner

    async def __call__(self, scope, receive, send):
        key = _token_from_headers(scope.get("headers", []))
        if key:
            token = await database_sync_to_async(api_token_authenticate)(key=key)
            if token is not None:
                scope = dict(scope, user=token.user)
        return await self.inner(scope, receive, send)


class BrowserOriginCheck:
    """The allowed-hosts Origin check, for browsers only.

    It exists because a browser sends its session cookie with any page's websocket, so a foreign
    page could listen in. Browsers always send an Origin on a websocket handshake; a client that
    sends none and authenticates with a token header is a script (websocket libraries send no
    Origin unless told), and refusing it would protect nothing. Everyone else is checked.
    """

    def __init__(self, inner):
        self.inner = inner
        self.checked = AllowedHostsOriginValidator(inner)

    async def __call__(self, scope, receive, send):
        headers = scope.get("headers", [])
        has_origin = any(name.lower() == b"origin" for name, _ in headers)
        if not has_origin and _token_from_headers(headers):
            return await self.inner(scope, receive, send)
        return await self.checked(scope, receive, send)


def _token_from_headers(headers) -> str | None:
    for name, value in headers:
        if name.lower() == b"authorization":
            parts = value.decode("latin-1").split()
            if len(parts) == 2 and parts[0] == "Token":
                return parts[1]
    return None
