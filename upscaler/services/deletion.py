"""Deleting submissions: the one path, whoever asks (the API, the review admin, retention, the
demo loader), so that no caller forgets a file."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.core.files.storage import default_storage
from django.db import transaction

from upscaler.models import Submission
from upscaler.services.downloads import download_names
from upscaler.services.references import public_original_name, reference_name
from upscaler.services.thumbnails import thumbnail_names

logger = logging.getLogger(__name__)


def submissions_delete(*, submission_ids: Iterable) -> int:
    """Delete submissions, their results and every file they own (original, ground truth,
    outputs, bicubic references, thumbnails, converted downloads); returns how many submissions
    were deleted. The files go after the commit; a job still running on a deleted result notices
    at its next progress report and drops its own output."""
    with transaction.atomic():
        submissions = list(
            Submission.objects.select_for_update().filter(pk__in=list(submission_ids)).prefetch_related("results")
        )
        names: set[str] = set()
        for submission in submissions:
            names.update(_file_names(submission))
        deleted = Submission.objects.filter(pk__in=[s.pk for s in submissions]).delete()[1].get(
            Submission._meta.label, 0
        )
        transaction.on_commit(lambda: _delete_files(names))
    return deleted


def _file_names(submission: Submission) -> set[str]:
    results = list(submission.results.all())
    names = {submission.original.name, public_original_name(submission)}
    if submission.ground_truth:
        names.add(submission.ground_truth.name)
    names.update(r.output.name for r in results if r.output)
    names.update(reference_name(r) for r in results)
    names.update(thumbnail_names(submission=submission, result_ids=[r.id for r in results]))
    names.update(download_names(results=results))
    return names


def _delete_files(names: Iterable[str]) -> None:
    for name in sorted(n for n in names if n):
        try:
            default_storage.delete(name)  # a missing file is not an error
        except OSError:
            logger.exception("could not delete %s", name)
