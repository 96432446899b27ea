"""Running one result's job: claim it (idempotently, under a lease), fence every later write on
that claim, report progress, and record success or failure. Creating, cancelling and
re-dispatching results is services/result_queue.py."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import timedelta
from enum import Enum

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import InterfaceError, OperationalError, transaction
from django.db.models import F, Q
from django.utils import timezone

from srsite.logs import log_context, log_context_bind
from upscaler import engine, notifications
from upscaler.integrations import engine_provider
from upscaler.integrations.job_metrics import job_observe
from upscaler.models import Result, Submission, output_upload_to
from upscaler.services.benchmark_scores import benchmark_metrics_compute
from upscaler.services.derived_files import StorageWriteError, storage_write_atomic
from upscaler.services.result_queue import result_changed

logger = logging.getLogger(__name__)

Status = Result.Status
TIMEOUT_ERROR = "The job took longer than this server allows."
INTERNAL_ERROR = "Internal error while upscaling; the administrators can see the details in the log."
STORAGE_ERROR = "The result could not be stored ({reason}); please try again later."
# Connection-level database failures (server restarting, network cut): worth retrying.
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)


class ClaimOutcome(Enum):
    CLAIMED = "claimed"
    BUSY = "busy"  # running elsewhere under a valid lease
    DONE = "done"  # terminal already, or gone
    GAVE_UP = "gave_up"  # too many attempts: failed now


@dataclass
class ProcessReport:
    outcome: ClaimOutcome
    status: str | None = None
    retry_in: float | None = None  # for BUSY: seconds until the lease expires


@dataclass
class _Output:  # what a finished run stored, and what it measured
    name: str
    width: int
    height: int
    inference_ms: int
    scores: dict


class _Cancelled(Exception):
    """The row left `running` under our claim (cancelled, or the lease was taken over)."""


class DatabaseUnavailable(Exception):
    """The database failed under a claimed job: nothing could be recorded. Retry later with
    `resume_attempt=attempt`, which takes the job back unless someone else took it over."""

    def __init__(self, attempt: int):
        super().__init__(f"database unavailable during attempt {attempt}")
        self.attempt = attempt


def result_claim(*, result_id, resume_attempt: int | None = None) -> tuple[ClaimOutcome, Result | None]:
    """Conditionally move a result to `running` (queued, or running with an expired lease, or
    still held by `resume_attempt`: the same job retrying after a database outage)."""
    now = timezone.now()
    lease = now + timedelta(seconds=settings.UPSCALER_JOB_LEASE_SECONDS)
    claimable = Q(status=Status.QUEUED) | Q(status=Status.RUNNING, claimed_until__lt=now)
    if resume_attempt is not None:
        claimable |= Q(status=Status.RUNNING, attempts=resume_attempt)
    with transaction.atomic():
        claimed = Result.objects.filter(claimable, pk=result_id).update(
            status=Status.RUNNING,
            attempts=F("attempts") + 1,
            claimed_until=lease,
            started_at=now,
            progress=0,
            tiles_done=0,
            tiles_total=0,
        )
        result = Result.objects.filter(pk=result_id).first()
        if not claimed:
            if result is not None and result.status == Status.RUNNING:
                return ClaimOutcome.BUSY, result
            return ClaimOutcome.DONE, result
        if result.attempts > settings.UPSCALER_JOB_MAX_ATTEMPTS:
            result_fail(
                result=result,
                attempt=result.attempts,
                error=f"Gave up after {result.attempts - 1} interrupted attempts.",
            )
            return ClaimOutcome.GAVE_UP, result
        result_changed(result)
    return ClaimOutcome.CLAIMED, result


def result_process(
    *, result_id, resume_attempt: int | None = None, timeout_exceptions: tuple[type[BaseException], ...] = ()
) -> ProcessReport:
    """Run one result to a terminal state. Safe to call twice: only one caller claims it.

    `timeout_exceptions` are what the runner raises inside the job when its time is up (the
    Celery task passes SoftTimeLimitExceeded): the job then fails with TIMEOUT_ERROR. Services
    know no runner, so they learn these types from the caller.

    Raises DatabaseUnavailable (job claimed, then the database failed) or one of
    DATABASE_UNAVAILABLE (failed before the claim): the caller retries later.
    """
    # Every log line of the job carries its ids (srsite/logs.py).
    with log_context(result_id=result_id, submission_id=None):
        outcome, result = result_claim(result_id=result_id, resume_attempt=resume_attempt)
        if result is not None:
            log_context_bind(submission_id=result.submission_id)
        if outcome is not ClaimOutcome.CLAIMED:
            return _not_claimed(outcome, result)
        reporter = _ProgressReporter(result, result.attempts)
        try:
            output = _run(result, reporter, timeout_exceptions)
        except (Exception, *timeout_exceptions) as exc:
            return _record_failure(result, reporter, exc, timeout_exceptions)
        return _record_success(result, reporter, output)


def result_fail(*, result: Result, attempt: int, error: str) -> None:
    """Fail a running result with a reason, if `attempt` still holds its claim."""
    updated = _fenced(result.id, attempt).update(
        status=Status.FAILED, finished_at=timezone.now(), claimed_until=None, error=error[:2000]
    )
    if updated:
        result.refresh_from_db()
        result_changed(result)


def _not_claimed(outcome: ClaimOutcome, result: Result | None) -> ProcessReport:
    retry_in = None
    if outcome is ClaimOutcome.BUSY and result.claimed_until is not None:
        retry_in = max(0.0, (result.claimed_until - timezone.now()).total_seconds()) + 1
    return ProcessReport(outcome, result.status if result else None, retry_in)


def _run(result: Result, reporter: _ProgressReporter, timeout_exceptions) -> _Output:
    """Read the original, upscale it, score a benchmark and store the output."""
    with result.submission.original.open("rb") as fh:
        source = engine_provider.read_image(fh)
    upscaler = engine_provider.get_upscaler(result.model_name, result.scale)
    started = time.monotonic()
    image = upscaler(source, progress=reporter)
    inference_ms = int((time.monotonic() - started) * 1000)
    reporter.check()  # a cancel during the last tile must not be overwritten
    scores = _benchmark_metrics(result, image)

    def write(fileobj) -> None:
        engine.write_image(image, fileobj, format=result.output_format.upper(), source=source)

    # A time limit that strikes while storing is a timeout, not a storage failure.
    name = storage_write_atomic(name=output_upload_to(result, ""), write=write, passthrough=timeout_exceptions)
    return _Output(name, image.width, image.height, inference_ms, scores)


def _failure_reason(result: Result, exc: BaseException, timeout_exceptions) -> str:
    """What the owner reads about a failed job (only the engine's own messages are shown as
    they are; internals go to the log)."""
    if isinstance(exc, engine.EngineError):
        return str(exc)
    if isinstance(exc, StorageWriteError):
        logger.error("result %s: could not store the output: %s", result.id, exc)
        return STORAGE_ERROR.format(reason=exc)
    if isinstance(exc, timeout_exceptions):
        return TIMEOUT_ERROR
    logger.exception("result %s failed", result.id)
    return INTERNAL_ERROR


def _record_failure(
    result: Result, reporter: _ProgressReporter, exc: BaseException, timeout_exceptions
) -> ProcessReport:
    """Called while `exc` is being handled (so that its traceback is logged)."""
    if isinstance(exc, DATABASE_UNAVAILABLE):
        # Nothing can be recorded now; the row stays `running` under our attempt.
        logger.warning("result %s: database unavailable (%s); will retry", result.id, exc)
        raise DatabaseUnavailable(reporter.attempt) from exc
    if reporter.lost or isinstance(exc, _Cancelled):
        logger.info("result %s stopped: no longer ours (cancelled or taken over)", result.id)
        return ProcessReport(ClaimOutcome.CLAIMED, _current_status(result.id))
    error = _failure_reason(result, exc, timeout_exceptions)
    with transaction.atomic():
        result_fail(result=result, attempt=reporter.attempt, error=error)
    return ProcessReport(ClaimOutcome.CLAIMED, Status.FAILED)


def _record_success(result: Result, reporter: _ProgressReporter, output: _Output) -> ProcessReport:
    """The fenced success write; the stored file is dropped when it cannot be recorded."""
    try:
        with transaction.atomic():
            updated = _fenced(result.id, reporter.attempt).update(
                status=Status.SUCCEEDED,
                progress=100,
                tiles_done=max(reporter.total, reporter.done),
                tiles_total=reporter.total,
                output=output.name,
                output_width=output.width,
                output_height=output.height,
                finished_at=timezone.now(),
                inference_ms=output.inference_ms,
                claimed_until=None,
                error="",
                **output.scores,
            )
            if updated:
                result.refresh_from_db()
                result_changed(result)
    except DATABASE_UNAVAILABLE as exc:
        # Not recorded: the retry writes its own file, so this one would be an orphan.
        default_storage.delete(output.name)
        raise DatabaseUnavailable(reporter.attempt) from exc
    if not updated:
        # Cancelled (or taken over) while we were writing: drop our file.
        default_storage.delete(output.name)
        return ProcessReport(ClaimOutcome.CLAIMED, _current_status(result.id))
    logger.info("result succeeded: %s x%d, %dx%d in %d ms", result.model_name, result.scale,
                output.width, output.height, output.inference_ms)
    job_observe(model_name=result.model_name, seconds=output.inference_ms / 1000,
                output_pixels=output.width * output.height)
    return ProcessReport(ClaimOutcome.CLAIMED, Status.SUCCEEDED)


def _fenced(result_id, attempt: int):
    """Rows still claimed by this attempt; all updates of a running job go through this."""
    return Result.objects.filter(pk=result_id, status=Status.RUNNING, attempts=attempt)


def _current_status(result_id) -> str | None:
    return Result.objects.filter(pk=result_id).values_list("status", flat=True).first()


def _benchmark_metrics(result: Result, image) -> dict:
    """Scores of a benchmark's output, measured here in the job so that they are stored with
    the success (the page shows them on the final event). A scoring error is logged and leaves
    the scores empty: the upscaled image is still a good result."""
    if result.submission.kind != Submission.Kind.BENCHMARK:
        return {}
    try:
        return benchmark_metrics_compute(result=result, image=image)
    except Exception:
        logger.exception("result %s: could not measure the benchmark", result.id)
        return {}


class _ProgressReporter:
    """The engine's progress(done, total) callback: throttled DB update + notification.

    The update is fenced on our claim, so it also detects a cancel: when the row is no
    longer ours it raises _Cancelled, which unwinds the engine call.
    """

    def __init__(self, result: Result, attempt: int):
        self.result = result
        self.attempt = attempt
        self.done = 0
        self.total = 0
        self.lost = False
        self._last: float | None = None

    def __call__(self, done: int, total: int) -> None:
        self.done, self.total = done, total
        now = time.monotonic()
        if self._last is not None and done < total and now - self._last < settings.UPSCALER_PROGRESS_INTERVAL:
            return
        self._last = now
        # 100 is reserved for "succeeded" (the output still has to be encoded and stored).
        progress = min(99, int(done * 100 / total)) if total else 0
        lease = timezone.now() + timedelta(seconds=settings.UPSCALER_JOB_LEASE_SECONDS)
        with transaction.atomic():
            updated = _fenced(self.result.id, self.attempt).update(
                progress=progress, tiles_done=done, tiles_total=total, claimed_until=lease
            )
            if not updated:
                self.lost = True
                raise _Cancelled
            self.result.progress, self.result.tiles_done, self.result.tiles_total = progress, done, total
            notifications.result_notify(self.result, final=False)

    def check(self) -> None:
        if not _fenced(self.result.id, self.attempt).exists():
            self.lost = True
            raise _Cancelled
