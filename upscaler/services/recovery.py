"""Recovery of jobs whose worker died: the reaper of expired leases."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from functools import partial

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from upscaler import jobs
from upscaler.models import Result
from upscaler.services import results

logger = logging.getLogger(__name__)


@dataclass
class ReapReport:
    redispatched: list = field(default_factory=list)
    failed: list = field(default_factory=list)


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
                results.finish_failed(
                    result,
                    attempt=result.attempts,
                    error=f"The worker running this job stopped responding; gave up after "
                    f"{result.attempts} attempt(s).",
                )
                report.failed.append(result.id)
            else:
                transaction.on_commit(partial(jobs.result_dispatch, result.id))
                report.redispatched.append(result.id)
    if report.redispatched or report.failed:
        logger.warning("reaped stale jobs: %d re-dispatched, %d failed",
                       len(report.redispatched), len(report.failed))
    return report
