"""Celery tasks (thin): names, retries and connection hygiene around one service each.

Queues, acks and time limits are not stated here: the CELERY_* settings hold the task policy once
(routes by task name, acks_late, reject_on_worker_lost, ignore_result, soft/hard time limits).
Task names are the contract with queued messages and with jobs/registry.py: never rename one.
"""

from __future__ import annotations

import contextlib

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.db import connections

from srsite.logs import log_context
from upscaler.services.recovery import results_reap_stale
from upscaler.services.results import DATABASE_UNAVAILABLE, ClaimOutcome, DatabaseUnavailable, result_process
from upscaler.services.retention import sessions_clear_expired, submissions_purge_old
from upscaler.services.webhooks import webhook_deliver, webhook_retry_in

# What Celery raises inside a job whose soft time limit passed: the service records a timeout.
TIMEOUT_EXCEPTIONS = (SoftTimeLimitExceeded,)
# A duplicate delivery of a job still running elsewhere is retried after its lease; if that
# worker died, the retry takes the job over.
MAX_LEASE_RETRIES = 5
# A database outage is waited out with retries after 1, 2, 4, ... 30 s (about 10 minutes in
# all); a job still `running` after that is found by the reaper once its lease expires.
MAX_DATABASE_RETRIES = 25
DATABASE_BACKOFF_CAP = 30  # seconds


def _database_backoff(retries: int) -> float:
    return min(DATABASE_BACKOFF_CAP, 2 ** min(retries, 10))


@shared_task(name="upscaler.result_process", bind=True, max_retries=MAX_LEASE_RETRIES + MAX_DATABASE_RETRIES)
def result_process_task(self, result_id: str, resume_attempt: int | None = None) -> str:
    try:
        report = result_process(
            result_id=result_id, resume_attempt=resume_attempt, timeout_exceptions=TIMEOUT_EXCEPTIONS
        )
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


# Retries are counted by webhook_retry_in (the one policy, shared with in-process backends).
@shared_task(name="upscaler.webhook_deliver", bind=True, max_retries=None)
def webhook_deliver_task(self, submission_id: str) -> bool:
    attempt = self.request.retries + 1
    with log_context(submission_id=submission_id):
        delivered = webhook_deliver(submission_id=submission_id, attempt=attempt)
    if delivered:
        return True
    wait = webhook_retry_in(attempt=attempt)
    if wait is None:
        return False
    raise self.retry(countdown=wait)


@shared_task(name="upscaler.results_reap_stale")
def results_reap_stale_task() -> int:
    """Recovery of jobs whose worker died or whose task was lost, run every minute by `celery beat`."""
    report = results_reap_stale()
    return len(report.redispatched) + len(report.failed) + len(report.requeued)


@shared_task(name="upscaler.sessions_clear_expired")
def sessions_clear_expired_task() -> int:
    """Expired sessions, cleared daily by `celery beat` (the table grows with every guest)."""
    return sessions_clear_expired()


@shared_task(name="upscaler.submissions_purge_old")
def submissions_purge_old_task() -> int:
    """Retention, run daily by `celery beat` (CELERY_BEAT_SCHEDULE)."""
    return submissions_purge_old().submissions
