"""API authentication: named tokens (`Authorization: Token <key>`), for HTTP and websockets,
and the permission that keeps anonymous clients out unless UPSCALER_API_ALLOW_ANONYMOUS."""

from __future__ import annotations

from channels.db import database_sync_to_async
from channels.security.websocket import AllowedHostsOriginValidator
from django.conf import settings
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions, permissions
from rest_framework.authentication import TokenAuthentication

from upscaler import selectors
from upscaler.services.tokens import api_token_touch


def user_for_key(key: str):
    """The active user owning API key `key`, or None."""
    token = selectors.api_token_get_by_key(key=key)
    if token is None or not token.user.is_active:
        return None, None
    api_token_touch(token=token)
    return token.user, token


class ApiTokenAuthentication(TokenAuthentication):
    """DRF's header parsing with our ApiToken model (hashed keys, several per user)."""

    keyword = "Token"

    def authenticate_credentials(self, key):
        user, token = user_for_key(key)
        if user is None:
            raise exceptions.AuthenticationFailed("Invalid or revoked token.")
        return user, token


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "upscaler.api.authentication.ApiTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Token <key>`; create keys on the site's API tokens page.",
        }


class ApiAccess(permissions.BasePermission):
    def has_permission(self, request, view) -> bool:
        if request.user is not None and request.user.is_authenticated:
            return True
        return bool(settings.UPSCALER_API_ALLOW_ANONYMOUS)


class WebsocketTokenAuthMiddleware:
    """Lets scripts subscribe to websockets with the same `Authorization: Token <key>` header
    (browsers use their session cookie). Wraps the session/auth middleware stack."""

    def __init__(self, inner):
        self.inner = inner

    async def __call__(self, scope, receive, send):
        key = _token_from_headers(scope.get("headers", []))
        if key:
            user, _token = await database_sync_to_async(user_for_key)(key)
            if user is not None:
                scope = dict(scope, user=user)
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
