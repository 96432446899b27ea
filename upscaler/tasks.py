"""Celery tasks (thin): plumbing around services.results.result_process."""

from __future__ import annotations

import contextlib

from celery import shared_task
from django.conf import settings
from django.db import connections

from srsite.logs import log_context
from upscaler.services.recovery import results_reap_stale
from upscaler.services.results import DATABASE_UNAVAILABLE, ClaimOutcome, DatabaseUnavailable, result_process
from upscaler.services.retention import submissions_purge_old
from upscaler.services.webhooks import webhook_backoff, webhook_deliver

# A duplicate delivery of a job still running elsewhere is retried after its lease; if that
# worker died, the retry takes the job over.
MAX_LEASE_RETRIES = 5
# A database outage is waited out with retries after 1, 2, 4, ... 30 s (about 10 minutes in
# all); a job still `running` after that is found by the reaper once its lease expires.
MAX_DATABASE_RETRIES = 25
DATABASE_BACKOFF_CAP = 30  # seconds


def _database_backoff(retries: int) -> float:
    return min(DATABASE_BACKOFF_CAP, 2 ** min(retries, 10))


@shared_task(
    name="upscaler.result_process",
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    queue="inference",
    ignore_result=True,
    max_retries=MAX_LEASE_RETRIES + MAX_DATABASE_RETRIES,
    soft_time_limit=settings.CELERY_TASK_SOFT_TIME_LIMIT,
    time_limit=settings.CELERY_TASK_TIME_LIMIT,
)
def result_process_task(self, result_id: str, resume_attempt: int | None = None) -> str:
    try:
        report = result_process(result_id=result_id, resume_attempt=resume_attempt)
    except (DatabaseUnavailable, *DATABASE_UNAVAILABLE) as exc:
        # The broken connection must not be reused by the retry.
        for connection in connections.all(initialized_only=True):
            with contextlib.suppress(Exception):
                connection.close()
        if isinstance(exc, DatabaseUnavailable):
            resume_attempt = exc.attempt  # take our own claim back, not someone else's
        raise self.retry(
            exc=exc,
            countdown=_database_backoff(self.request.retries),
            kwargs={"result_id": result_id, "resume_attempt": resume_attempt},
        ) from exc
    if report.outcome is ClaimOutcome.BUSY:
        raise self.retry(countdown=report.retry_in or 60)
    return report.status or "missing"


@shared_task(
    name="upscaler.webhook_deliver",
    bind=True,
    acks_late=True,
    queue="default",
    ignore_result=True,
    # Celery counts retries, the setting counts attempts.
    max_retries=max(0, settings.UPSCALER_WEBHOOK_MAX_ATTEMPTS - 1),
)
def webhook_deliver_task(self, submission_id: str) -> bool:
    attempt = self.request.retries + 1
    with log_context(submission_id=submission_id):
        delivered = webhook_deliver(submission_id=submission_id, attempt=attempt)
    if delivered:
        return True
    if attempt >= settings.UPSCALER_WEBHOOK_MAX_ATTEMPTS:
        return False
    raise self.retry(countdown=webhook_backoff(attempt=attempt))


@shared_task(name="upscaler.results_reap_stale", queue="default", ignore_result=True)
def results_reap_stale_task() -> int:
    """Recovery of jobs whose worker died or whose task was lost, run every minute by `celery beat`."""
    report = results_reap_stale()
    return len(report.redispatched) + len(report.failed) + len(report.requeued)


@shared_task(name="upscaler.submissions_purge_old", queue="default", ignore_result=True)
def submissions_purge_old_task() -> int:
    """Retention, run daily by `celery beat` (CELERY_BEAT_SCHEDULE)."""
    return submissions_purge_old().submissions
