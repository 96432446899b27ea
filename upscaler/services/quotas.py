"""The per-owner quota of output megapixels over a rolling period (UPSCALER_QUOTA_*)."""

from __future__ import annotations

import math
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from upscaler import selectors


class QuotaExceededError(ValidationError):
    """The owner's output-megapixel quota would be exceeded; `retry_after` in seconds.

    A ValidationError, so that the upload form shows it like any other refusal."""

    def __init__(self, message: str, *, retry_after: int):
        super().__init__(message, code="quota_exceeded")
        self.retry_after = retry_after


def quota_lock(*, user, session_key: str | None) -> None:
    """Hold one owner's quota until the current transaction ends, so that two concurrent requests
    cannot both fit into the last of it: call it, then `quota_check`, then insert, in one
    transaction. PostgreSQL: a transaction-level advisory lock on the owner. SQLite: nothing to
    do, its transactions begin IMMEDIATE (settings) and so already run one at a time."""
    if not settings.UPSCALER_QUOTA_MEGAPIXELS or connection.vendor != "postgresql":
        return
    if not connection.in_atomic_block:
        raise RuntimeError("quota_lock outside a transaction would be released at once")
    # `user` is an owner as services take it: a user, or None for an anonymous one.
    owner = f"user:{user.pk}" if user is not None else f"session:{session_key}"
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [f"srsite-quota:{owner}"])


def quota_check(*, user, session_key: str | None, width: int, height: int, scale: int) -> None:
    """Raise QuotaExceededError if a new result of this size does not fit in the quota."""
    limit_mp = settings.UPSCALER_QUOTA_MEGAPIXELS
    if not limit_mp:
        return  # 0: unlimited
    period = timedelta(seconds=settings.UPSCALER_QUOTA_PERIOD_SECONDS)
    now = timezone.now()
    used, oldest = selectors.owner_output_pixels_since(
        user=user, session_key=session_key, since=now - period
    )
    wanted = width * scale * height * scale
    if used + wanted <= limit_mp * 1_000_000:
        return
    # Room frees up when the oldest counted result leaves the window (a lower bound).
    retry_after = (
        max(1, math.ceil((oldest + period - now).total_seconds())) if oldest else int(period.total_seconds())
    )
    raise QuotaExceededError(
        f"Quota exceeded: this would bring your output to {(used + wanted) / 1e6:.1f} megapixels "
        f"in {_period_text(period)}, more than your quota of {limit_mp:g} megapixels "
        f"(used so far: {used / 1e6:.1f}).",
        retry_after=retry_after,
    )


def _period_text(period: timedelta) -> str:
    hours = period.total_seconds() / 3600
    return f"{hours:g} hours" if hours != 1 else "one hour"
