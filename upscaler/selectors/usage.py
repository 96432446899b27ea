"""What an owner has used: output pixels over a period (the quota)."""

from __future__ import annotations

from django.db.models import Q

from upscaler.models import Result, Submission
from upscaler.selectors.visibility import owner_filter


def owner_output_pixels_since(*, user, session_key: str | None, since) -> tuple[int, object]:
    """Output pixels of this viewer's results queued since `since` — queued and running ones
    with their future size, and failed or cancelled ones too once they started work (cancelling
    at 99 % or timing out must not hand the work back for free) — and when the oldest of them
    was queued (None if there are none)."""
    viewer = owner_filter(user=user, session_key=session_key)
    if viewer is None:
        return 0, None
    never_ran = Q(status__in=[Result.Status.FAILED, Result.Status.CANCELLED], started_at__isnull=True)
    rows = Result.objects.filter(
        submission__in=Submission.objects.filter(viewer), queued_at__gte=since
    ).exclude(never_ran)
    total, oldest = 0, None
    for width, height, scale, queued_at in rows.values_list(
        "submission__width", "submission__height", "scale", "queued_at"
    ):
        total += width * scale * height * scale
        oldest = queued_at if oldest is None or queued_at < oldest else oldest
    return total, oldest
