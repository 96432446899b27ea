"""Retention: submissions with no activity for UPSCALER_RETENTION_DAYS are deleted with their
results and files, through the one deletion path (deletion.submissions_delete). Gallery items
(approved or featured) are kept whatever their age."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from importlib import import_module

from django.conf import settings
from django.db.models import Exists, OuterRef
from django.utils import timezone

from upscaler.models import Result, Submission
from upscaler.services.deletion import submissions_delete

logger = logging.getLogger(__name__)

# Deleted per transaction: bounds lock time and the list of files kept until commit.
BATCH_SIZE = 200


@dataclass
class PurgeReport:
    cutoff: object
    submissions: int
    results: int
    dry_run: bool


def submissions_expired(*, cutoff):
    """Submissions created before `cutoff` with no result queued since, not in the gallery."""
    recent_result = Result.objects.filter(submission=OuterRef("pk"), queued_at__gte=cutoff)
    return (
        Submission.objects.filter(created__lt=cutoff)
        .exclude(review_state__in=Submission.PUBLIC_REVIEW_STATES)
        .exclude(Exists(recent_result))
    )


def submissions_purge_old(*, days: int | None = None, dry_run: bool = False, now=None) -> PurgeReport:
    """Delete expired submissions (files and rows). days=0 keeps everything."""
    days = settings.UPSCALER_RETENTION_DAYS if days is None else days
    if days < 0:
        raise ValueError("days must be 0 (keep everything) or more")
    cutoff = (now or timezone.now()) - timedelta(days=days)
    if days == 0:
        return PurgeReport(cutoff=None, submissions=0, results=0, dry_run=dry_run)
    expired = submissions_expired(cutoff=cutoff)
    results = Result.objects.filter(submission__in=expired).count()
    if dry_run:
        return PurgeReport(cutoff=cutoff, submissions=expired.count(), results=results, dry_run=True)
    deleted = 0
    while True:
        ids = list(expired.order_by("created").values_list("pk", flat=True)[:BATCH_SIZE])
        if not ids:
            break
        deleted += submissions_delete(submission_ids=ids)
    if deleted:
        logger.info("retention: deleted %d submission(s) and %d result(s) older than %d days",
                    deleted, results, days)
    return PurgeReport(cutoff=cutoff, submissions=deleted, results=results, dry_run=False)


def sessions_clear_expired() -> int:
    """Delete expired sessions: Django keeps their rows forever otherwise, and every guest who
    uploads leaves one. Returns how many were deleted (0 for a backend without rows to count)."""
    from django.contrib.sessions.models import Session

    counted = settings.SESSION_ENGINE == "django.contrib.sessions.backends.db"
    before = Session.objects.count() if counted else 0
    import_module(settings.SESSION_ENGINE).SessionStore.clear_expired()
    deleted = before - Session.objects.count() if counted else 0
    logger.info("expired sessions cleared: %d", deleted)
    return deleted
