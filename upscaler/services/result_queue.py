"""What is asked of results from outside their job: validate a request, create one and dispatch
it on commit, cancel, re-dispatch unfinished jobs at an embedded server's start, and tell
subscribers about a change. Running the job is services/results.py."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from upscaler import notifications, selectors
from upscaler.integrations import engine_provider
from upscaler.jobs.dispatch import enqueue_on_commit
from upscaler.models import Result, Submission

Status = Result.Status


def result_changed(result: Result) -> None:
    """Tell the submission's subscribers (on commit) that `result` changed; once every result of
    the submission is finished, also its webhook."""
    final = result.is_terminal and selectors.submission_is_finished(submission_id=result.submission_id)
    notifications.result_notify(result, final=final)
    if final and result.submission.callback_url:
        enqueue_on_commit("upscaler.webhook_deliver", submission_id=str(result.submission_id))


def result_model_validate(*, model_name: str, scale: int):
    """The engine model offering `scale`; raises ValidationError on "model" (code unknown_model)
    or "scale" (code bad_scale)."""
    model = engine_provider.get_model(model_name)
    if model is None:
        raise ValidationError(
            {"model": ValidationError(f"Unknown model {model_name!r}.", code="unknown_model")}
        )
    if scale not in model.scales:
        allowed = ", ".join(f"×{s}" for s in model.scales)
        message = f"Model {model.name} cannot upscale ×{scale} (it offers {allowed})."
        raise ValidationError({"scale": ValidationError(message, code="bad_scale")})
    return model


def result_output_size_validate(*, width: int, height: int, scale: int) -> None:
    """Raise ValidationError on "image" (code too_large) if the output would pass the limit."""
    out_w, out_h = width * scale, height * scale
    if out_w * out_h > settings.UPSCALER_MAX_OUTPUT_PIXELS:
        message = (
            f"A {width}×{height} image at ×{scale} would be {out_w}×{out_h}, "
            f"more than this server's limit of {settings.UPSCALER_MAX_OUTPUT_PIXELS:,} pixels. "
            "Choose a smaller scale or image."
        )
        raise ValidationError({"image": ValidationError(message, code="too_large")})


def result_create(
    *, submission: Submission, model_name: str, scale: int, output_format: str = "png", queued_at=None,
    model_choice_reason: str = "",
) -> Result:
    """Queue a result of a stored submission and dispatch it on commit (the one creation path).
    `model_choice_reason` says why the service chose the model (services/model_choice.py); it is
    empty when the request named it."""
    model = result_model_validate(model_name=model_name, scale=scale)
    if output_format not in Result.OutputFormat.values:
        message = f"Unknown output format {output_format!r}."
        raise ValidationError({"format": ValidationError(message, code="bad_format")})
    result_output_size_validate(width=submission.width, height=submission.height, scale=scale)
    with transaction.atomic():
        result = Result.objects.create(
            submission=submission,
            model_name=model.name,
            model_choice_reason=model_choice_reason,
            scale=scale,
            output_format=output_format,
            queued_at=queued_at or timezone.now(),
        )
        enqueue_on_commit("upscaler.result_process", result_id=str(result.id))
    return result


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
            result_changed(Result.objects.get(pk=result_id))
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
