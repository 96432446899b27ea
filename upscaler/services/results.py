"""The result lifecycle: create + dispatch, claim (idempotently), process, report progress,
succeed/fail, cancel."""

from __future__ import annotations

import logging
import tempfile
import time
from dataclasses import dataclass
from datetime import timedelta
from enum import Enum

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import InterfaceError, OperationalError, transaction
from django.db.models import F, Q
from django.utils import timezone

from srsite.logs import log_context, log_context_bind
from upscaler import engine, notifications, selectors
from upscaler.integrations import engine_provider
from upscaler.integrations.job_metrics import job_observe
from upscaler.jobs.dispatch import enqueue_on_commit
from upscaler.models import Result, Submission, output_upload_to

logger = logging.getLogger(__name__)

Status = Result.Status
# Encoded outputs up to this size stay in memory before being stored.
SPOOL_BYTES = 64 * 1024 * 1024
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


class _Cancelled(Exception):
    """The row left `running` under our claim (cancelled, or the lease was taken over)."""


class DatabaseUnavailable(Exception):
    """The database failed under a claimed job: nothing could be recorded. Retry later with
    `resume_attempt=attempt`, which takes the job back unless someone else took it over."""

    def __init__(self, attempt: int):
        super().__init__(f"database unavailable during attempt {attempt}")
        self.attempt = attempt


class _StorageWriteError(Exception):
    """The output could not be written (disk full, read-only, object store down)."""


def _notify(result: Result) -> None:
    final = result.is_terminal and selectors.submission_is_finished(
        submission_id=result.submission_id
    )
    notifications.result_notify(result, final=final)
    if final and result.submission.callback_url:
        enqueue_on_commit("upscaler.webhook_deliver", submission_id=str(result.submission_id))


def result_model_validate(*, model_name: str, scale: int):
    """The engine model offering `scale`; raises ValidationError (code unknown_model/bad_scale)."""
    model = engine_provider.get_model(model_name)
    if model is None:
        raise ValidationError(f"Unknown model {model_name!r}.", code="unknown_model")
    if scale not in model.scales:
        allowed = ", ".join(f"×{s}" for s in model.scales)
        raise ValidationError(
            f"Model {model.name} cannot upscale ×{scale} (it offers {allowed}).", code="bad_scale"
        )
    return model


def result_output_size_validate(*, width: int, height: int, scale: int) -> None:
    out_w, out_h = width * scale, height * scale
    if out_w * out_h > settings.UPSCALER_MAX_OUTPUT_PIXELS:
        raise ValidationError(
            f"A {width}×{height} image at ×{scale} would be {out_w}×{out_h}, "
            f"more than this server's limit of {settings.UPSCALER_MAX_OUTPUT_PIXELS:,} pixels. "
            "Choose a smaller scale or image.",
            code="too_large",
        )


def result_create(
    *, submission: Submission, model_name: str, scale: int, output_format: str = "png", queued_at=None
) -> Result:
    """Queue a result of a stored submission and dispatch it on commit (the one creation path)."""
    model = result_model_validate(model_name=model_name, scale=scale)
    if output_format not in Result.OutputFormat.values:
        raise ValidationError(f"Unknown output format {output_format!r}.", code="bad_format")
    result_output_size_validate(width=submission.width, height=submission.height, scale=scale)
    with transaction.atomic():
        result = Result.objects.create(
            submission=submission,
            model_name=model.name,
            scale=scale,
            output_format=output_format,
            queued_at=queued_at or timezone.now(),
        )
        enqueue_on_commit("upscaler.result_process", result_id=str(result.id))
    return result


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
            finish_failed(
                result,
                attempt=result.attempts,
                error=f"Gave up after {result.attempts - 1} interrupted attempts.",
            )
            return ClaimOutcome.GAVE_UP, result
        _notify(result)
    return ClaimOutcome.CLAIMED, result


def result_process(*, result_id, resume_attempt: int | None = None) -> ProcessReport:
    """Run one result to a terminal state. Safe to call twice: only one caller claims it.

    Raises DatabaseUnavailable (job claimed, then the database failed) or one of
    DATABASE_UNAVAILABLE (failed before the claim): the caller retries later.
    """
    # Every log line of the job carries its ids (srsite/logs.py).
    with log_context(result_id=result_id, submission_id=None):
        return _result_process(result_id=result_id, resume_attempt=resume_attempt)


def _result_process(*, result_id, resume_attempt: int | None) -> ProcessReport:
    outcome, result = result_claim(result_id=result_id, resume_attempt=resume_attempt)
    if result is not None:
        log_context_bind(submission_id=result.submission_id)
    if outcome is not ClaimOutcome.CLAIMED:
        retry_in = None
        if outcome is ClaimOutcome.BUSY and result.claimed_until is not None:
            retry_in = max(0.0, (result.claimed_until - timezone.now()).total_seconds()) + 1
        return ProcessReport(outcome, result.status if result else None, retry_in)

    attempt = result.attempts
    reporter = _ProgressReporter(result, attempt)
    try:
        with result.submission.original.open("rb") as fh:
            source = engine_provider.read_image(fh)
        upscaler = engine_provider.get_upscaler(result.model_name, result.scale)
        started = time.monotonic()
        image = upscaler(source, progress=reporter)
        inference_ms = int((time.monotonic() - started) * 1000)
        reporter.check()  # a cancel during the last tile must not be overwritten
        scores = _benchmark_metrics(result, image)
        name = _store_output(result, image, source)
    except Exception as exc:
        if isinstance(exc, DATABASE_UNAVAILABLE):
            # Nothing can be recorded now; the row stays `running` under our attempt.
            logger.warning("result %s: database unavailable (%s); will retry", result.id, exc)
            raise DatabaseUnavailable(attempt) from exc
        if reporter.lost or isinstance(exc, _Cancelled):
            logger.info("result %s stopped: no longer ours (cancelled or taken over)", result.id)
            return ProcessReport(ClaimOutcome.CLAIMED, _current_status(result.id))
        if isinstance(exc, engine.EngineError):
            error = str(exc)
        elif isinstance(exc, _StorageWriteError):
            logger.error("result %s: %s", result.id, exc)
            error = STORAGE_ERROR.format(reason=exc)
        elif isinstance(exc, SoftTimeLimitExceeded):
            error = TIMEOUT_ERROR
        else:
            logger.exception("result %s failed", result.id)
            error = INTERNAL_ERROR
        with transaction.atomic():
            finish_failed(result, attempt=attempt, error=error)
        return ProcessReport(ClaimOutcome.CLAIMED, Status.FAILED)

    try:
        with transaction.atomic():
            updated = _fenced(result.id, attempt).update(
                status=Status.SUCCEEDED,
                progress=100,
                tiles_done=max(reporter.total, reporter.done),
                tiles_total=reporter.total,
                output=name,
                output_width=image.width,
                output_height=image.height,
                finished_at=timezone.now(),
                inference_ms=inference_ms,
                claimed_until=None,
                error="",
                **scores,
            )
            if updated:
                result.refresh_from_db()
                _notify(result)
    except DATABASE_UNAVAILABLE as exc:
        # Not recorded: the retry writes its own file, so this one would be an orphan.
        default_storage.delete(name)
        raise DatabaseUnavailable(attempt) from exc
    if not updated:
        # Cancelled (or taken over) while we were writing: drop our file.
        default_storage.delete(name)
        return ProcessReport(ClaimOutcome.CLAIMED, _current_status(result.id))
    logger.info("result succeeded: %s x%d, %dx%d in %d ms", result.model_name, result.scale,
                image.width, image.height, inference_ms)
    job_observe(model_name=result.model_name, seconds=inference_ms / 1000,
                        output_pixels=image.width * image.height)
    return ProcessReport(ClaimOutcome.CLAIMED, Status.SUCCEEDED)


def result_cancel(*, result_id) -> bool:
    """Cancel a queued or running result; a running job stops at its next progress report."""
    with transaction.atomic():
        cancelled = Result.objects.filter(
            pk=result_id, status__in=[Status.QUEUED, Status.RUNNING]
        ).update(
            status=Status.CANCELLED,
            finished_at=timezone.now(),
            claimed_until=None,
            error="Cancelled.",
        )
        if cancelled:
            _notify(Result.objects.get(pk=result_id))
    return bool(cancelled)


def results_resume_embedded() -> int:
    """Embedded mode, at server start: re-dispatch jobs a previous process left unfinished.

    Only one process runs jobs in embedded mode, so at its start every `running` row was
    abandoned: its lease is expired now so that the claim takes it over.
    """
    now = timezone.now()
    with transaction.atomic():
        Result.objects.filter(status=Status.RUNNING).update(claimed_until=now)
        ids = list(
            Result.objects.filter(status__in=[Status.QUEUED, Status.RUNNING]).values_list(
                "id", flat=True
            )
        )
        for result_id in ids:
            enqueue_on_commit("upscaler.result_process", result_id=str(result_id))
    return len(ids)


def _fenced(result_id, attempt: int):
    """Rows still claimed by this attempt; all updates of a running job go through this."""
    return Result.objects.filter(pk=result_id, status=Status.RUNNING, attempts=attempt)


def _current_status(result_id) -> str | None:
    return Result.objects.filter(pk=result_id).values_list("status", flat=True).first()


def finish_failed(result: Result, *, attempt: int, error: str) -> None:
    updated = _fenced(result.id, attempt).update(
        status=Status.FAILED, finished_at=timezone.now(), claimed_until=None, error=error[:2000]
    )
    if updated:
        result.refresh_from_db()
        _notify(result)


def _benchmark_metrics(result: Result, image) -> dict:
    """Scores of a benchmark's output, measured here in the job so that they are stored with
    the success (the page shows them on the final event). A scoring error is logged and leaves
    the scores empty: the upscaled image is still a good result."""
    if result.submission.kind != Submission.Kind.BENCHMARK:
        return {}
    from upscaler.services.benchmarks import benchmark_metrics_compute

    try:
        return benchmark_metrics_compute(result=result, image=image)
    except Exception:
        logger.exception("result %s: could not measure the benchmark", result.id)
        return {}


def _store_output(result: Result, image, source) -> str:
    """Encode to a local temporary file first, then store under the final (unique) name;
    a failure at either step leaves nothing in storage."""
    name = output_upload_to(result, "")
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as tmp:
        engine.write_image(image, tmp, format=result.output_format.upper(), source=source)
        tmp.seek(0)
        try:
            saved = default_storage.save(name, File(tmp, name=name))
        except BaseException as exc:
            _delete_partial(name)
            if isinstance(exc, Exception) and not isinstance(exc, SoftTimeLimitExceeded):
                raise _StorageWriteError(getattr(exc, "strerror", None) or type(exc).__name__) from exc
            raise
    return saved


def _delete_partial(name: str) -> None:
    """The storage may have written part of the file under `name` before failing."""
    try:
        if default_storage.exists(name):
            default_storage.delete(name)
    except Exception:
        logger.exception("could not remove the partial output %s", name)


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
        if (
            self._last is not None
            and done < total
            and now - self._last < settings.UPSCALER_PROGRESS_INTERVAL
        ):
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
            self.result.progress, self.result.tiles_done, self.result.tiles_total = (
                progress,
                done,
                total,
            )
            notifications.result_notify(self.result, final=False)

    def check(self) -> None:
        if not _fenced(self.result.id, self.attempt).exists():
            self.lost = True
            raise _Cancelled
