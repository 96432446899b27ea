"""Job runners: hand a committed, queued result to Celery, to an in-process thread pool, or inline.

"thread" is embedded mode: jobs run inside the single web process, which is what lets them
notify browsers through the in-memory channel layer (see notifications.py).
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connections

logger = logging.getLogger(__name__)

RUNNERS = ("thread", "celery", "inline")

_executor: ThreadPoolExecutor | None = None
_executor_lock = threading.Lock()
# Webhook deliveries sleep between retries: they get their own threads, not the inference pool.
_webhook_executor: ThreadPoolExecutor | None = None
WEBHOOK_THREADS = 2


def result_dispatch(result_id) -> None:
    """Start processing a result by id. Call only after the row is committed (on_commit)."""
    runner = settings.UPSCALER_JOB_RUNNER
    if runner == "celery":
        from upscaler.tasks import result_process_task

        result_process_task.delay(str(result_id))
    elif runner == "thread":
        _get_executor().submit(_run_in_thread, str(result_id))
    elif runner == "inline":
        from upscaler.services.results import result_process

        result_process(result_id=str(result_id))
    else:
        raise ImproperlyConfigured(f"UPSCALER_JOB_RUNNER must be one of {RUNNERS}, not {runner!r}")


def webhook_dispatch(submission_id) -> None:
    """Deliver a submission's completion webhook, retrying with backoff. Call on commit."""
    runner = settings.UPSCALER_JOB_RUNNER
    if runner == "celery":
        from upscaler.tasks import webhook_deliver_task

        webhook_deliver_task.delay(str(submission_id))
    elif runner == "thread":
        global _webhook_executor
        with _executor_lock:
            if _webhook_executor is None:
                _webhook_executor = ThreadPoolExecutor(
                    max_workers=WEBHOOK_THREADS, thread_name_prefix="upscaler-webhook"
                )
            executor = _webhook_executor
        executor.submit(_webhook_with_retries, str(submission_id))
    elif runner == "inline":
        _webhook_with_retries(str(submission_id))
    else:
        raise ImproperlyConfigured(f"UPSCALER_JOB_RUNNER must be one of {RUNNERS}, not {runner!r}")


def _webhook_with_retries(submission_id: str) -> bool:
    from upscaler.services.webhooks import webhook_backoff, webhook_deliver

    try:
        attempts = settings.UPSCALER_WEBHOOK_MAX_ATTEMPTS
        for attempt in range(1, attempts + 1):
            if webhook_deliver(submission_id=submission_id, attempt=attempt):
                return True
            if attempt < attempts:
                time.sleep(webhook_backoff(attempt=attempt))
        logger.error("webhook of %s: giving up after %d attempts", submission_id, attempts)
        return False
    except Exception:
        logger.exception("webhook of %s crashed", submission_id)
        return False
    finally:
        if settings.UPSCALER_JOB_RUNNER == "thread":
            connections.close_all()


def _get_executor() -> ThreadPoolExecutor:
    global _executor
    with _executor_lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(
                max_workers=settings.UPSCALER_THREAD_WORKERS, thread_name_prefix="upscaler-job"
            )
        return _executor


def _run_in_thread(result_id: str) -> None:
    from upscaler.services.results import result_process

    try:
        result_process(result_id=result_id)
    except Exception:
        logger.exception("job %s crashed", result_id)
    finally:
        # Connections are per thread; a pool thread must not keep one open between jobs.
        connections.close_all()


def shutdown(*, wait: bool = False) -> None:
    """Stop accepting jobs; a job already running finishes (or is recovered at next start)."""
    global _executor
    with _executor_lock:
        executor, _executor = _executor, None
    if executor is not None:
        executor.shutdown(wait=wait, cancel_futures=True)
