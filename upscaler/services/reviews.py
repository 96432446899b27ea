"""Moderation of submissions: approve, reject (with a reason), feature, unfeature, re-run, delete.

Every function takes many submission ids at once (the admin's bulk actions) and records the
reviewer. Only approved and featured submissions reach the public gallery (see selectors).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from upscaler.models import Result, Submission
from upscaler.services.downloads import download_names
from upscaler.services.references import reference_name
from upscaler.services.results import result_create, result_model_validate
from upscaler.services.thumbnails import thumbnail_names

logger = logging.getLogger(__name__)

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
        raise ValidationError("A rejection needs a reason.", code="reason_required")
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


def submission_rerun(*, submission_ids: Iterable, model_name: str, scale: int) -> list[Result]:
    """Queue a new result of each submission with another model or scale, dispatched on commit.

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


def submission_delete(*, submission_ids: Iterable) -> int:
    """Delete submissions, their results and every file they own (original, ground truth,
    outputs, bicubic references, thumbnails, converted downloads). The files go after the
    commit; a job still running on a deleted result notices at its next progress report and
    drops its own output."""
    with transaction.atomic():
        submissions = list(
            Submission.objects.select_for_update().filter(pk__in=list(submission_ids)).prefetch_related("results")
        )
        names: set[str] = set()
        for submission in submissions:
            results = list(submission.results.all())
            names.add(submission.original.name)
            names.update(r.output.name for r in results if r.output)
            names.update(reference_name(r) for r in results)
            names.update(thumbnail_names(submission=submission, result_ids=[r.id for r in results]))
            names.update(download_names(submission_id=submission.id, result_ids=[r.id for r in results]))
            if submission.ground_truth:
                names.add(submission.ground_truth.name)
        deleted = Submission.objects.filter(pk__in=[s.pk for s in submissions]).delete()[1].get(
            Submission._meta.label, 0
        )
        transaction.on_commit(lambda: _delete_files(names))
    return deleted


def _delete_files(names: Iterable[str]) -> None:
    for name in sorted(n for n in names if n):
        try:
            default_storage.delete(name)  # a missing file is not an error
        except OSError:
            logger.exception("could not delete %s", name)
