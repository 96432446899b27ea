"""API tokens: a user's list, and the lookup by key (hashed)."""

from __future__ import annotations


def api_token_list(*, user):
    from upscaler.models import ApiToken

    return ApiToken.objects.filter(user=user).order_by("-created")


def api_token_get_by_key(*, key: str):
    from upscaler.models import ApiToken

    return ApiToken.objects.select_related("user").filter(key_hash=ApiToken.hash_key(key)).first()
