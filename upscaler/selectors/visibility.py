"""Who may see what: a submission (its page, its live updates) is seen by its owner user or
owner session; its files also by reviewers (active staff allowed to view submissions) and, once
approved or featured with a succeeded result, by everyone: that is the public gallery."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet

from upscaler.models import Result, Submission


def owner_filter(*, user, session_key: str | None) -> Q | None:
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
    viewer = owner_filter(user=user, session_key=session_key)
    if viewer is None:
        return public
    return Submission.objects.filter(Q(pk__in=public.values("pk")) | viewer)


def viewer_may_see_upload(*, submission: Submission, user, session_key: str | None) -> bool:
    """The uploaded file itself (with its metadata) is for its owner and for reviewers; everyone
    else who may see the submission (a gallery visitor) gets a re-encoded copy."""
    if user_is_reviewer(user):
        return True
    viewer = owner_filter(user=user, session_key=session_key)
    return viewer is not None and Submission.objects.filter(viewer, pk=submission.pk).exists()


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
    viewer = owner_filter(user=user, session_key=session_key)
    if viewer is None:
        return Submission.objects.none()
    return Submission.objects.filter(viewer)


def submission_get_visible(*, submission_id, user, session_key: str | None) -> Submission | None:
    return submission_list_visible(user=user, session_key=session_key).filter(
        pk=submission_id
    ).first()


def result_get_visible(*, result_id, user, session_key: str | None) -> Result | None:
    viewer = owner_filter(user=user, session_key=session_key)
    if viewer is None:
        return None
    submissions = Submission.objects.filter(viewer)
    return (
        Result.objects.select_related("submission")
        .filter(pk=result_id, submission__in=submissions)
        .first()
    )
