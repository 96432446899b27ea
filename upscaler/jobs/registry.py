"""The jobs there are: each Celery task name, the service that does its work, its retry policy.

Backends that run jobs in this process look the service up here by dotted path, so this module
(and the dispatch seam above it) imports no service and no task: the arrows point one way, and a
queued Celery message keeps working whatever module its service moves to.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    #: The Celery task name (what a queued message carries; never change one).
    name: str
    #: Dotted path of the service function, called with the job's keyword arguments.
    service: str
    #: For a job that may fail and be tried again: dotted path of `f(*, attempt) -> seconds | None`
    #: (None: give up). The service then takes `attempt` (1-based) and returns True when done.
    retry_in: str | None = None


JOBS = {
    job.name: job
    for job in (
        Job("upscaler.result_process", "upscaler.services.results.result_process"),
        Job("upscaler.webhook_deliver", "upscaler.services.webhooks.webhook_deliver",
            retry_in="upscaler.services.webhooks.webhook_retry_in"),
        Job("upscaler.results_reap_stale", "upscaler.services.recovery.results_reap_stale"),
        Job("upscaler.submissions_purge_old", "upscaler.services.retention.submissions_purge_old"),
        Job("upscaler.sessions_clear_expired", "upscaler.services.retention.sessions_clear_expired"),
    )
}


def job_get(name: str) -> Job:
    try:
        return JOBS[name]
    except KeyError:
        raise LookupError(f"no job is registered under the task name {name!r}") from None


def job_run(name: str, kwargs: dict):
    """Run a job here and now, with its retry policy (sleeping between attempts): what the thread
    and inline backends do. Celery workers run the same services through jobs/tasks.py instead,
    where a retry is a re-queued message rather than a sleeping thread."""
    job = job_get(name)
    service = import_string(job.service)
    if job.retry_in is None:
        return service(**kwargs)
    retry_in = import_string(job.retry_in)
    attempt = 1
    try:
        while not service(**kwargs, attempt=attempt):
            wait = retry_in(attempt=attempt)
            if wait is None:
                logger.error("%s %s: giving up after %d attempts", name, kwargs, attempt)
                return False
            time.sleep(wait)
            attempt += 1
    except Exception:
        # A retried job is a side errand (a webhook): its crash must not fail the commit that
        # enqueued it when it runs inline.
        logger.exception("%s %s crashed", name, kwargs)
        return False
    return True
