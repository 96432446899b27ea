"""Celery tasks (thin): plumbing around services.results.result_process."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from srsite.logs import log_context
from upscaler.services.results import ClaimOutcome, result_process
from upscaler.services.retention import submissions_purge_old
from upscaler.services.webhooks import webhook_backoff, webhook_deliver

# A duplicate delivery of a job still running elsewhere is retried after its lease; if that
# worker died, the retry takes the job over.
MAX_LEASE_RETRIES = 5


@shared_task(
    name="upscaler.result_process",
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    queue="inference",
    ignore_result=True,
    max_retries=MAX_LEASE_RETRIES,
    soft_time_limit=settings.CELERY_TASK_SOFT_TIME_LIMIT,
    time_limit=settings.CELERY_TASK_TIME_LIMIT,
)
def result_process_task(self, result_id: str) -> str:
    report = result_process(result_id=result_id)
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


@shared_task(name="upscaler.submissions_purge_old", queue="default", ignore_result=True)
def submissions_purge_old_task() -> int:
    """Retention, run daily by `celery beat` (CELERY_BEAT_SCHEDULE)."""
    return submissions_purge_old().submissions
