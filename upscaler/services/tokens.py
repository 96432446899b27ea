"""API tokens: create (the key is returned once, only its hash is stored), revoke, authenticate
(for the API and websockets alike) and mark as used."""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from upscaler import selectors
from upscaler.models import ApiToken

KEY_PREFIX = "srs_"
KEY_BYTES = 32
PREFIX_CHARS = 12
# `last_used` is written at most this often per token, not on every request.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def api_token_create(*, user, name: str) -> tuple[ApiToken, str]:
    """Create a named token for `user`; returns (token, key). The key cannot be recovered later."""
    name = name.strip()
    if not name:
        raise ValidationError({"name": ValidationError("Give the token a name.", code="required")})
    if len(name) > ApiToken._meta.get_field("name").max_length:
        raise ValidationError({"name": ValidationError("The name is too long.", code="max_length")})
    key = KEY_PREFIX + secrets.token_urlsafe(KEY_BYTES)
    try:
        with transaction.atomic():
            token = ApiToken.objects.create(
                user=user,
                name=name,
                prefix=key[:PREFIX_CHARS],
                key_hash=ApiToken.hash_key(key),
                created=timezone.now(),
            )
    except IntegrityError as exc:
        error = ValidationError(f"You already have a token named {name!r}.", code="unique")
        raise ValidationError({"name": error}) from exc
    return token, key


def api_token_revoke(*, user, token_id) -> bool:
    """Delete one of `user`'s tokens; False if it is not theirs (or already gone)."""
    deleted, _ = ApiToken.objects.filter(pk=token_id, user=user).delete()
    return bool(deleted)


def api_token_touch(*, token: ApiToken) -> None:
    now = timezone.now()
    if token.last_used is None or now - token.last_used > LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used=now)
        token.last_used = now


def api_token_authenticate(*, key: str) -> ApiToken | None:
    """The token with key `key` if it exists and its user is active (marked as used), else None.
    The token's user is `token.user`."""
    token = selectors.api_token_get_by_key(key=key)
    if token is None or not token.user.is_active:
        return None
    api_token_touch(token=token)
    return token
