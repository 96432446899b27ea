"""API authentication: named tokens (`Authorization: Token <key>`), and the permission that keeps
anonymous clients out unless UPSCALER_API_ALLOW_ANONYMOUS. (Websockets take the same header:
realtime/auth.py.)"""

from __future__ import annotations

from django.conf import settings
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions, permissions
from rest_framework.authentication import TokenAuthentication

from upscaler.services.tokens import api_token_authenticate


class ApiTokenAuthentication(TokenAuthentication):
    """DRF's header parsing with our ApiToken model (hashed keys, several per user)."""

    keyword = "Token"

    def authenticate_credentials(self, key):
        token = api_token_authenticate(key=key)
        if token is None:
            raise exceptions.AuthenticationFailed("Invalid or revoked token.")
        return token.user, token


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
