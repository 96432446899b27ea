"""A submission's results, events and status; idempotency, reuse and queue positions."""

from __future__ import annotations

from django.db.models import Q

from upscaler import notifications
from upscaler.models import Result, Submission


def submission_results(*, submission_id) -> list[Result]:
    return list(Result.objects.filter(submission_id=submission_id).order_by("queued_at", "id"))


def submission_is_finished(*, submission_id) -> bool:
    return not (
        Result.objects.filter(submission_id=submission_id)
        .exclude(status__in=Result.TERMINAL)
        .exists()
    )


def submission_events(*, submission_id) -> list[dict]:
    """The current state of every result of a submission, as notification events."""
    results = submission_results(submission_id=submission_id)
    final = all(r.is_terminal for r in results)
    return [notifications.result_event(r, final=final) for r in results]


def submission_get_by_idempotency_key(*, owner, key: str) -> Submission | None:
    """Keys belong to signed-in owners only: `owner` None (an anonymous visitor, see
    selectors.request_owner) has none."""
    if not key or owner is None:
        return None
    return Submission.objects.filter(owner=owner, idempotency_key=key).first()


def result_find_reusable(
    *, owner, sha256: str, model_name: str, scale: int, output_format: str
) -> Result | None:
    """A succeeded result of the same image, model, scale and format that `owner` already has."""
    if owner is None:
        return None
    return (
        Result.objects.select_related("submission")
        .filter(
            submission__owner=owner,
            submission__sha256=sha256,
            model_name=model_name,
            scale=scale,
            output_format=output_format,
            status=Result.Status.SUCCEEDED,
        )
        .order_by("-finished_at")
        .first()
    )


def result_queue_positions(*, results) -> dict:
    """1-based position in the global queue of each queued result (running jobs are not counted:
    position 1 is the next to start). Results that are not queued are absent."""
    positions = {}
    for result in results:
        if result.status == Result.Status.QUEUED:
            ahead = Result.objects.filter(status=Result.Status.QUEUED).filter(
                Q(queued_at__lt=result.queued_at) | Q(queued_at=result.queued_at, id__lt=result.id)
            )
            positions[result.id] = ahead.count() + 1
    return positions


def submission_status_payload(*, submission: Submission) -> dict:
    """The polling answer of the submission page: the same events as the websocket, plus each
    queued result's position (positions change when other jobs start, which sends no event)."""
    results = submission_results(submission_id=submission.id)
    final = all(r.is_terminal for r in results)
    positions = result_queue_positions(results=results)
    return {
        "submission": str(submission.id),
        "final": final,
        "results": [
            {
                **notifications.result_event(r, final=final),
                "queue_position": positions.get(r.id),
                "metrics": _result_metrics(r),
            }
            for r in results
        ],
    }


def _result_metrics(result: Result) -> dict | None:
    if result.psnr_y is None:
        return None
    return {
        "psnr_y": result.psnr_y,
        "ssim_y": result.ssim_y,
        "bicubic_psnr_y": result.bicubic_psnr_y,
        "bicubic_ssim_y": result.bicubic_ssim_y,
    }
