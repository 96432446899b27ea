"""gallery_items: approved and featured submissions with a succeeded result, featured first."""

import pytest

from gallery.selectors import gallery_items
from upscaler.models import Result, Submission
from upscaler.tests.support.factories import create_submission

pytestmark = pytest.mark.django_db

State = Submission.ReviewState


def test_only_approved_and_featured_with_a_succeeded_result():
    approved = create_submission(review_state=State.APPROVED)
    featured = create_submission(review_state=State.FEATURED)
    create_submission(review_state=State.PENDING)
    create_submission(review_state=State.REJECTED)
    create_submission(run=False, review_state=State.APPROVED)  # still queued
    failed = create_submission(run=False, review_state=State.FEATURED)
    Result.objects.filter(submission=failed).update(status="failed", error="boom")
    assert list(gallery_items()) == [featured, approved]


def test_featured_first_then_newest_and_results_attached():
    a = create_submission(review_state=State.APPROVED)
    b = create_submission(review_state=State.FEATURED)
    c = create_submission(review_state=State.APPROVED)
    d = create_submission(review_state=State.FEATURED)
    items = list(gallery_items())
    assert items == [d, b, c, a]
    assert [r.status for r in items[0].gallery_results] == ["succeeded"]
