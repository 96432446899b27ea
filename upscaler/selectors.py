"""Read queries and the visibility rule: a submission is seen by its owner user or owner session."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from upscaler import notifications
from upscaler.models import Result, Submission


def _viewer_filter(*, user, session_key: str | None) -> Q | None:
    if user is not None and getattr(user, "is_authenticated", False):
        return Q(owner=user)
    if session_key:
        return Q(owner__isnull=True, session_key=session_key)
    return None


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
