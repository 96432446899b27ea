"""services/reviews.py: each review action, its effect on gallery visibility, re-run and delete."""

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from gallery.selectors import gallery_items
from upscaler.models import Result, Submission
from upscaler.services import reviews
from upscaler.services.deletion import submissions_delete
from upscaler.services.references import result_reference_ensure
from upscaler.services.thumbnails import result_thumbnail_ensure, submission_thumbnail_ensure
from upscaler.tests.conftest import stored_files
from upscaler.tests.support.factories import create_submission
from upscaler.tests.support.validation import error_codes

pytestmark = pytest.mark.django_db

State = Submission.ReviewState


@pytest.fixture
def staff(db):
    return get_user_model().objects.create_user("rita", password="pw-rita-123", is_staff=True)


def in_gallery(submission) -> bool:
    return gallery_items().filter(pk=submission.pk).exists()


def test_new_submission_is_pending_and_not_in_the_gallery():
    submission = create_submission()
    assert submission.review_state == State.PENDING
    assert submission.results.get().status == "succeeded"
    assert not in_gallery(submission)


def test_approve_records_the_reviewer_and_shows_the_item(staff):
    submission = create_submission()
    assert reviews.submission_approve(submission_ids=[submission.pk], reviewer=staff) == 1
    submission.refresh_from_db()
    assert submission.review_state == State.APPROVED
    assert submission.reviewed_by == staff and submission.reviewed_at is not None
    assert in_gallery(submission)


def test_bulk_approve_changes_every_selected_item_only(staff):
    a, b, c = create_submission(), create_submission(), create_submission()
    assert reviews.submission_approve(submission_ids=[a.pk, b.pk], reviewer=staff) == 2
    states = dict(Submission.objects.values_list("pk", "review_state"))
    assert (states[a.pk], states[b.pk], states[c.pk]) == (State.APPROVED, State.APPROVED, State.PENDING)


@pytest.mark.parametrize("reason", ["", "   \n"], ids=["empty", "blank"])
def test_reject_requires_a_reason(staff, reason):
    submission = create_submission(review_state=State.APPROVED)
    with pytest.raises(ValidationError) as excinfo:
        reviews.submission_reject(submission_ids=[submission.pk], reviewer=staff, reason=reason)
    assert error_codes(excinfo.value) == {"reason": ["reason_required"]}
    submission.refresh_from_db()
    assert submission.review_state == State.APPROVED and in_gallery(submission)


def test_reject_hides_an_approved_item_at_once(staff):
    submission = create_submission(review_state=State.FEATURED)
    assert in_gallery(submission)
    reviews.submission_reject(submission_ids=[submission.pk], reviewer=staff, reason="  not an upscale  ")
    submission.refresh_from_db()
    assert submission.review_state == State.REJECTED
    assert submission.rejection_reason == "not an upscale" and submission.reviewed_by == staff
    assert not in_gallery(submission)


def test_approving_again_clears_the_rejection_reason(staff):
    submission = create_submission(review_state=State.REJECTED)
    reviews.submission_approve(submission_ids=[submission.pk], reviewer=staff)
    submission.refresh_from_db()
    assert submission.review_state == State.APPROVED and submission.rejection_reason == ""


def test_a_rejected_row_without_reason_is_refused_by_the_database():
    submission = create_submission()
    with pytest.raises(IntegrityError), transaction.atomic():
        Submission.objects.filter(pk=submission.pk).update(review_state=State.REJECTED, rejection_reason="")


def test_feature_puts_the_item_first_and_unfeature_keeps_it_approved(staff):
    older = create_submission(review_state=State.APPROVED)
    newer = create_submission(review_state=State.APPROVED)
    assert list(gallery_items()) == [newer, older]  # newest first

    reviews.submission_feature(submission_ids=[older.pk], reviewer=staff)
    assert list(gallery_items()) == [older, newer]  # featured first
    older.refresh_from_db()
    assert older.review_state == State.FEATURED and older.reviewed_by == staff

    reviews.submission_unfeature(submission_ids=[older.pk], reviewer=staff)
    older.refresh_from_db()
    assert older.review_state == State.APPROVED
    assert list(gallery_items()) == [newer, older]


def test_unfeature_leaves_non_featured_items_alone(staff):
    pending = create_submission()
    rejected = create_submission(review_state=State.REJECTED)
    assert reviews.submission_unfeature(submission_ids=[pending.pk, rejected.pk], reviewer=staff) == 0
    states = dict(Submission.objects.values_list("pk", "review_state"))
    assert (states[pending.pk], states[rejected.pk]) == (State.PENDING, State.REJECTED)
    assert not in_gallery(pending) and not in_gallery(rejected)


def test_an_approved_item_without_a_succeeded_result_is_not_in_the_gallery(staff):
    submission = create_submission(run=False)
    reviews.submission_approve(submission_ids=[submission.pk], reviewer=staff)
    assert not in_gallery(submission)
    Result.objects.filter(submission=submission).update(status="failed", error="boom")
    assert not in_gallery(submission)


def test_rerun_queues_a_new_result_and_dispatches_it_on_commit(
    monkeypatch, django_capture_on_commit_callbacks, recorded_jobs
):
    a, b = create_submission(scale=2), create_submission(scale=2)
    dispatched = recorded_jobs.result_ids
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        new = reviews.submissions_rerun(submission_ids=[a.pk, b.pk], model_name="bicubic", scale=3)
    assert dispatched == []  # nothing before the commit
    for callback in callbacks:
        callback()
    assert sorted(dispatched) == sorted(r.id for r in new)
    assert {r.submission_id for r in new} == {a.pk, b.pk}
    assert all((r.status, r.scale, r.model_name) == ("queued", 3, "bicubic") for r in new)
    assert a.results.count() == 2  # the first result is kept


def test_rerun_with_the_inline_runner_produces_the_new_output(django_capture_on_commit_callbacks):
    submission = create_submission(width=8, height=6, scale=2)
    with django_capture_on_commit_callbacks(execute=True):
        (new,) = reviews.submissions_rerun(submission_ids=[submission.pk], model_name="bicubic", scale=4)
    new.refresh_from_db()
    assert new.status == "succeeded" and (new.output_width, new.output_height) == (32, 24)


@pytest.mark.parametrize(
    ("model_name", "scale", "field", "code"),
    [("nope", 2, "model", "unknown_model"), ("bicubic", 5, "scale", "bad_scale")],
)
def test_rerun_rejects_a_bad_model_or_scale_and_creates_nothing(model_name, scale, field, code):
    submission = create_submission()
    with pytest.raises(ValidationError) as excinfo:
        reviews.submissions_rerun(submission_ids=[submission.pk], model_name=model_name, scale=scale)
    assert error_codes(excinfo.value) == {field: [code]}
    assert submission.results.count() == 1


def test_rerun_is_all_or_nothing_when_one_output_would_be_too_large(settings):
    small, large = create_submission(width=8, height=6), create_submission(width=40, height=30)
    settings.UPSCALER_MAX_OUTPUT_PIXELS = 8 * 6 * 4 * 4  # small x4 fits, large x4 does not
    with pytest.raises(ValidationError) as excinfo:
        reviews.submissions_rerun(submission_ids=[small.pk, large.pk], model_name="bicubic", scale=4)
    assert error_codes(excinfo.value) == {"image": ["too_large"]}
    assert Result.objects.count() == 2


def test_delete_removes_rows_and_every_file_after_commit(media_root, django_capture_on_commit_callbacks):
    doomed = create_submission()
    kept = create_submission()
    for submission in (doomed, kept):
        result = submission.results.get()
        result_reference_ensure(result=result)
        result_thumbnail_ensure(result=result)
        submission_thumbnail_ensure(submission=submission)
    kept_files = [f for f in stored_files(media_root) if str(kept.id) in f or str(kept.results.get().id) in f]
    doomed_files = [f for f in stored_files(media_root) if f not in kept_files]
    # original, output, reference and two thumbnails of each
    assert len(doomed_files) == 5 and len(kept_files) == 5

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert submissions_delete(submission_ids=[doomed.pk]) == 1
    assert sorted(stored_files(media_root)) == sorted(doomed_files + kept_files)  # not before the commit
    for callback in callbacks:
        callback()

    assert not Submission.objects.filter(pk=doomed.pk).exists()
    assert not Result.objects.filter(submission_id=doomed.pk).exists()
    assert stored_files(media_root) == sorted(kept_files)
