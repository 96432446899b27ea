"""Job runners: hand a committed, queued result to Celery, to an in-process thread pool, or inline.

"thread" is embedded mode: jobs run inside the single web process, which is what lets them
notify browsers through the in-memory channel layer (see notifications.py).
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connections

logger = logging.getLogger(__name__)

RUNNERS = ("thread", "celery", "inline")

_executor: ThreadPoolExecutor | None = None
_executor_lock = threading.Lock()


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
