"""Recovery of jobs whose worker died or whose task was lost: the reaper."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from upscaler.jobs.dispatch import enqueue_on_commit
from upscaler.models import Result
from upscaler.services import results

logger = logging.getLogger(__name__)


@dataclass
class ReapReport:
    redispatched: list = field(default_factory=list)
    failed: list = field(default_factory=list)
    requeued: list = field(default_factory=list)


def results_reap_stale() -> ReapReport:
    """Running results whose lease expired (their worker died, or its task was lost): dispatch
    them again (the claim takes them over), or fail them with a reason once they have used up
    UPSCALER_JOB_MAX_ATTEMPTS. Run periodically (celery beat, `manage.py reap_stale_jobs`)."""
    now = timezone.now()
    report = ReapReport()
    with transaction.atomic():
        stale = Result.objects.select_for_update(skip_locked=True).filter(
            status=Result.Status.RUNNING, claimed_until__lt=now
        )
        for result in stale:
            if result.attempts >= settings.UPSCALER_JOB_MAX_ATTEMPTS:
                results.result_fail(
                    result=result,
                    attempt=result.attempts,
                    error=f"The worker running this job stopped responding; gave up after "
                    f"{result.attempts} attempt(s).",
                )
                report.failed.append(result.id)
            else:
                enqueue_on_commit("upscaler.result_process", result_id=str(result.id))
                report.redispatched.append(result.id)
    report.requeued = results_requeue_lost(now=now)
    if report.redispatched or report.failed or report.requeued:
        logger.warning("reaped stale jobs: %d re-dispatched, %d failed, %d queued ones sent again",
                       len(report.redispatched), len(report.failed), len(report.requeued))
    return report


def results_requeue_lost(*, now) -> list:
    """Send again the jobs that have sat `queued` for UPSCALER_JOB_REQUEUE_SECONDS since they were
    queued or last re-sent. A broker that dies before its append-only file is flushed loses
    the last second of tasks while their rows say `queued`; a job that is merely waiting in a
    long queue gets a duplicate task, which its claim turns into a no-op."""
    cutoff = now - timedelta(seconds=settings.UPSCALER_JOB_REQUEUE_SECONDS)
    requeued = []
    with transaction.atomic():
        waiting = Result.objects.select_for_update(skip_locked=True).filter(
            Q(redispatched_at__isnull=True) | Q(redispatched_at__lt=cutoff),
            status=Result.Status.QUEUED,
            queued_at__lt=cutoff,
        )
        for result in waiting:
            result.redispatched_at = now
            result.save(update_fields=["redispatched_at"])
            enqueue_on_commit("upscaler.result_process", result_id=str(result.id))
            requeued.append(result.id)
    return requeued
