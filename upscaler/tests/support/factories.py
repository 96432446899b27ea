"""Test data for the review and gallery tests: stored submissions with a finished result."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

from upscaler.models import Submission
from upscaler.services.results import result_process
from upscaler.services.submissions import submission_create
from upscaler.tests.conftest import make_image_bytes


def create_submission(
    *, owner=None, session_key: str = "s" * 32, width: int = 8, height: int = 6, scale: int = 2,
    run: bool = True, review_state: str | None = None,
) -> Submission:
    """A submission through the real service; `run` processes its result with the real bicubic
    engine right away (whatever the test's transaction mode), `review_state` is set directly."""
    upload = SimpleUploadedFile("photo.png", make_image_bytes(width, height), "image/png")
    submission = submission_create(
        owner=owner, session_key=None if owner else session_key, upload=upload, scale=scale,
        model_name="bicubic",
    )
    if run:
        result_process(result_id=submission.results.get().id)
    if review_state is not None:
        reason = "set up as rejected" if review_state == Submission.ReviewState.REJECTED else ""
        Submission.objects.filter(pk=submission.pk).update(review_state=review_state, rejection_reason=reason)
    submission.refresh_from_db()
    return submission
