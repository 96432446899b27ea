"""Read queries and the visibility rules.

A submission (its page, its live updates) is seen by its owner user or owner session. Its
files are also served to reviewers (active staff allowed to view submissions) and, once
approved or featured with a succeeded result, to everyone: that is the public gallery.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet

from upscaler import engine_provider, notifications
from upscaler.models import Result, Submission


def _viewer_filter(*, user, session_key: str | None) -> Q | None:
    if user is not None and getattr(user, "is_authenticated", False):
        return Q(owner=user)
    if session_key:
        return Q(owner__isnull=True, session_key=session_key)
    return None


def user_is_reviewer(user) -> bool:
    return bool(
        user is not None
        and getattr(user, "is_active", False)
        and getattr(user, "is_staff", False)
        and user.has_perm("upscaler.view_submission")
    )


def submission_list_public() -> QuerySet[Submission]:
    """Approved or featured submissions with a succeeded result: what the public gallery shows."""
    succeeded = Result.objects.filter(submission=OuterRef("pk"), status=Result.Status.SUCCEEDED)
    return Submission.objects.filter(
        Exists(succeeded), review_state__in=Submission.PUBLIC_REVIEW_STATES
    )


def _files_viewable(*, user, session_key: str | None) -> QuerySet[Submission]:
    """Submissions whose files (original, outputs, references, thumbnails) this viewer may fetch."""
    if user_is_reviewer(user):
        return Submission.objects.all()
    public = submission_list_public()
    viewer = _viewer_filter(user=user, session_key=session_key)
    if viewer is None:
        return public
    return Submission.objects.filter(Q(pk__in=public.values("pk")) | viewer)


def submission_get_files_viewable(*, submission_id, user, session_key: str | None) -> Submission | None:
    return _files_viewable(user=user, session_key=session_key).filter(pk=submission_id).first()


def result_get_files_viewable(*, result_id, user, session_key: str | None) -> Result | None:
    submissions = _files_viewable(user=user, session_key=session_key)
    return (
        Result.objects.select_related("submission")
        .filter(pk=result_id, submission__in=submissions)
        .first()
    )


def submission_list_visible(*, user, session_key: str | None) -> QuerySet[Submission]:
    viewer = _viewer_filter(user=user, session_key=session_key)
    if viewer is None:
        return Submission.objects.none()
    return Submission.objects.filter(viewer)


def submission_get_visible(*, submission_id, user, session_key: str | None) -> Submission | None:
    return submission_list_visible(user=user, session_key=session_key).filter(
        pk=submission_id
    ).first()


def result_get_visible(*, result_id, user, session_key: str | None) -> Result | None:
    viewer = _viewer_filter(user=user, session_key=session_key)
    if viewer is None:
        return None
    submissions = Submission.objects.filter(viewer)
    return (
        Result.objects.select_related("submission")
        .filter(pk=result_id, submission__in=submissions)
        .first()
    )


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


# --- API: idempotency, deduplication, queue position, quota, tokens ---------------------------


def submission_get_by_idempotency_key(*, owner, key: str) -> Submission | None:
    """Keys belong to signed-in owners only (an anonymous user or None has none)."""
    if not key or owner is None or not getattr(owner, "is_authenticated", False):
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


def owner_output_pixels_since(*, user, session_key: str | None, since) -> tuple[int, object]:
    """Output pixels of this viewer's results queued since `since` that are not failed or
    cancelled (queued and running ones count with their future size), and when the oldest
    of them was queued (None if there are none)."""
    viewer = _viewer_filter(user=user, session_key=session_key)
    if viewer is None:
        return 0, None
    rows = Result.objects.filter(
        submission__in=Submission.objects.filter(viewer), queued_at__gte=since
    ).exclude(status__in=[Result.Status.FAILED, Result.Status.CANCELLED])
    total, oldest = 0, None
    for width, height, scale, queued_at in rows.values_list(
        "submission__width", "submission__height", "scale", "queued_at"
    ):
        total += width * scale * height * scale
        oldest = queued_at if oldest is None or queued_at < oldest else oldest
    return total, oldest


def api_token_list(*, user):
    from upscaler.models import ApiToken

    return ApiToken.objects.filter(user=user).order_by("-created")


def api_token_get_by_key(*, key: str):
    from upscaler.models import ApiToken

    return ApiToken.objects.select_related("user").filter(key_hash=ApiToken.hash_key(key)).first()


# --- Browser: time estimates, upload options, status ---------------------------------------

# Estimates use the median speed of this many recent succeeded results of a model...
ESTIMATE_SAMPLE = 25
# ...or, without history, a rough speed per model kind on a CPU (ms per output megapixel):
# bicubic is cheap; networks are thousands of times slower, third-party ones usually larger.
DEFAULT_MS_PER_MEGAPIXEL = {"bicubic": 60.0, "srresnet": 4000.0, "spandrel": 12000.0}
FALLBACK_MS_PER_MEGAPIXEL = 12000.0


def model_ms_per_megapixel(*, model_name: str, kind: str = "") -> float:
    """Median inference time per output megapixel of `model_name`'s recent succeeded results,
    or the default of its kind when it has none."""
    rows = (
        Result.objects.filter(
            model_name=model_name,
            status=Result.Status.SUCCEEDED,
            inference_ms__isnull=False,
            output_width__gt=0,
            output_height__gt=0,
        )
        .order_by("-finished_at")
        .values_list("inference_ms", "output_width", "output_height")[:ESTIMATE_SAMPLE]
    )
    speeds = sorted(ms * 1e6 / (w * h) for ms, w, h in rows)
    if not speeds:
        return DEFAULT_MS_PER_MEGAPIXEL.get(kind, FALLBACK_MS_PER_MEGAPIXEL)
    middle = len(speeds) // 2
    return speeds[middle] if len(speeds) % 2 else (speeds[middle - 1] + speeds[middle]) / 2


def result_estimate_ms(*, model_name: str, output_pixels: int) -> int:
    """How long the inference of `output_pixels` should take, in milliseconds."""
    model = engine_provider.get_model(model_name)
    speed = model_ms_per_megapixel(model_name=model_name, kind=model.kind if model else "")
    return round(speed * output_pixels / 1e6)


def upload_model_options() -> list[dict]:
    """What the upload page needs to know of each model to offer scales and estimate times."""
    return [
        {
            "name": m.name,
            "description": m.description,
            "kind": m.kind,
            "scales": list(m.scales),
            "ms_per_megapixel": model_ms_per_megapixel(model_name=m.name, kind=m.kind),
        }
        for m in engine_provider.list_models()
    ]


def submission_status(*, submission: Submission) -> dict:
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
