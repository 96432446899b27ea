"""Moderation of submissions: approve, reject (with a reason), feature, unfeature, re-run.

Every function takes many submission ids at once (the admin's bulk actions) and records the
reviewer. Only approved and featured submissions reach the public gallery (see selectors).
Deleting is services/deletion.py, the one path for every caller.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from upscaler.models import Result, Submission
from upscaler.services.result_queue import result_create, result_model_validate

ReviewState = Submission.ReviewState
REASON_MAX_LENGTH = 2000


def _review(*, submission_ids: Iterable, reviewer, state: str, reason: str = "", only_from=None) -> int:
    submissions = Submission.objects.filter(pk__in=list(submission_ids))
    if only_from is not None:
        submissions = submissions.filter(review_state__in=only_from)
    return submissions.update(
        review_state=state, reviewed_by=reviewer, reviewed_at=timezone.now(), rejection_reason=reason
    )


def submission_approve(*, submission_ids: Iterable, reviewer) -> int:
    """Approve (also takes a featured item back to plain approved); returns how many changed."""
    return _review(submission_ids=submission_ids, reviewer=reviewer, state=ReviewState.APPROVED)


def submission_reject(*, submission_ids: Iterable, reviewer, reason: str) -> int:
    """Reject with a reason shown to staff; the items leave the gallery at once."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": ValidationError("A rejection needs a reason.", code="reason_required")})
    return _review(
        submission_ids=submission_ids,
        reviewer=reviewer,
        state=ReviewState.REJECTED,
        reason=reason[:REASON_MAX_LENGTH],
    )


def submission_feature(*, submission_ids: Iterable, reviewer) -> int:
    """Feature (which implies approval): shown first in the gallery."""
    return _review(submission_ids=submission_ids, reviewer=reviewer, state=ReviewState.FEATURED)


def submission_unfeature(*, submission_ids: Iterable, reviewer) -> int:
    """Featured items go back to approved; items in other states are left alone."""
    return _review(
        submission_ids=submission_ids,
        reviewer=reviewer,
        state=ReviewState.APPROVED,
        only_from=[ReviewState.FEATURED],
    )


def submissions_rerun(*, submission_ids: Iterable, model_name: str, scale: int) -> list[Result]:
    """Queue a new result of each submission with another model or scale, dispatched on commit
    (the admin's bulk action; the API's re-run of one submission is api_submissions.submission_rerun).

    All or nothing: if one submission cannot be upscaled that way (too large an output),
    a ValidationError is raised and no result is created.
    """
    result_model_validate(model_name=model_name, scale=scale)
    with transaction.atomic():
        submissions = list(Submission.objects.filter(pk__in=list(submission_ids)).order_by("created"))
        return [
            result_create(submission=submission, model_name=model_name, scale=scale)
            for submission in submissions
        ]
