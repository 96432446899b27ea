"""result_process / result_claim (services/results.py); result_cancel / results_resume_embedded
(services/result_queue.py)."""

from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.utils import timezone
from PIL import Image

from upscaler import engine
from upscaler.models import Result
from upscaler.services.result_queue import result_cancel, results_resume_embedded
from upscaler.services.results import (
    INTERNAL_ERROR,
    TIMEOUT_ERROR,
    ClaimOutcome,
    result_claim,
    result_process,
)
from upscaler.services.submissions import submission_create
from upscaler.tests.conftest import make_image_bytes, stored_files

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def queued(make_upload, monkeypatch, recorded_jobs):
    """A committed, queued result of a 12x9 PNG at x4 (its job is not started)."""

    def _make(scale=4, width=12, height=9):
        submission = submission_create(
            owner=None, session_key="a" * 32, upload=make_upload(make_image_bytes(width, height)),
            scale=scale, model_name="bicubic",
        )
        return submission.results.get()

    return _make


def result_files(root):
    return [f for f in stored_files(root) if f.startswith("results/")]


def test_process_with_the_real_bicubic_engine(queued, media_root, sent_events):
    result = queued()
    report = result_process(result_id=result.id)
    assert (report.outcome, report.status) == (ClaimOutcome.CLAIMED, "succeeded")

    result.refresh_from_db()
    assert result.status == "succeeded" and result.progress == 100 and result.error == ""
    assert (result.output_width, result.output_height) == (48, 36)
    assert result.inference_ms is not None and result.attempts == 1
    assert result.started_at <= result.finished_at and result.claimed_until is None
    with default_storage.open(result.output.name, "rb") as fh, Image.open(fh) as image:
        assert image.size == (48, 36) and image.format == "PNG"
    assert result_files(media_root) == [result.output.name]

    statuses = [event["status"] for _, event in sent_events]
    assert statuses[0] == "running" and statuses[-1] == "succeeded"
    assert [e["final"] for _, e in sent_events] == [False] * (len(sent_events) - 1) + [True]
    last = sent_events[-1][1]
    assert last["output_url"] == f"/r/{result.id}/output.png"
    assert last["progress"] == 100 and last["submission"] == str(result.submission_id)
    assert {group for group, _ in sent_events} == {f"submission.{result.submission_id}"}


def test_progress_is_reported_per_tile(queued, fake_upscaler, sent_events):
    fake_upscaler(tiles=4)
    result = queued()
    result_process(result_id=result.id)
    running = [e for _, e in sent_events if e["status"] == "running"]
    assert [(e["tiles_done"], e["tiles_total"], e["progress"]) for e in running[1:]] == [
        (1, 4, 25), (2, 4, 50), (3, 4, 75), (4, 4, 99)
    ]


def test_progress_is_throttled(queued, fake_upscaler, sent_events, settings):
    settings.UPSCALER_PROGRESS_INTERVAL = 3600
    fake_upscaler(tiles=50)
    result_process(result_id=queued().id)
    running = [e for _, e in sent_events if e["status"] == "running"]
    # the claim, the first tile, the last tile: nothing in between within the interval
    assert [e["tiles_done"] for e in running] == [0, 1, 50]


def test_processing_twice_is_a_no_op(queued, media_root):
    result = queued()
    result_process(result_id=result.id)
    before = Result.objects.get(pk=result.id)
    report = result_process(result_id=result.id)
    assert report.outcome is ClaimOutcome.DONE and report.status == "succeeded"
    after = Result.objects.get(pk=result.id)
    assert (after.attempts, after.finished_at, after.output.name) == (
        before.attempts, before.finished_at, before.output.name
    )
    assert len(result_files(media_root)) == 1


def test_missing_result_is_done():
    import uuid

    report = result_process(result_id=uuid.uuid4())
    assert report.outcome is ClaimOutcome.DONE and report.status is None


def test_running_under_valid_lease_is_busy_and_expired_lease_is_taken_over(queued):
    result = queued()
    assert result_claim(result_id=result.id)[0] is ClaimOutcome.CLAIMED
    report = result_process(result_id=result.id)
    assert report.outcome is ClaimOutcome.BUSY and report.retry_in > 0
    assert Result.objects.get(pk=result.id).attempts == 1

    Result.objects.filter(pk=result.id).update(claimed_until=timezone.now() - timedelta(seconds=1))
    report = result_process(result_id=result.id)
    assert (report.outcome, report.status) == (ClaimOutcome.CLAIMED, "succeeded")
    assert Result.objects.get(pk=result.id).attempts == 2


def test_gives_up_after_max_attempts(queued, settings, sent_events):
    settings.UPSCALER_JOB_MAX_ATTEMPTS = 2
    result = queued()
    Result.objects.filter(pk=result.id).update(
        status="running", attempts=2, claimed_until=timezone.now() - timedelta(seconds=1)
    )
    outcome, _ = result_claim(result_id=result.id)
    assert outcome is ClaimOutcome.GAVE_UP
    result.refresh_from_db()
    assert result.status == "failed" and "Gave up after 2 interrupted attempts" in result.error
    assert sent_events[-1][1]["final"] is True


def test_engine_error_fails_with_readable_reason_and_no_file(queued, fake_upscaler, media_root):
    fake_upscaler(fail=engine.EngineOutOfMemoryError("Out of memory even with 32 px tiles."))
    result = queued()
    report = result_process(result_id=result.id)
    assert report.status == "failed"
    result.refresh_from_db()
    assert result.status == "failed" and result.error == "Out of memory even with 32 px tiles."
    assert result.output.name in ("", None) and result.finished_at is not None
    assert result_files(media_root) == []


def test_unexpected_error_fails_without_leaking_details(queued, fake_upscaler, media_root):
    fake_upscaler(fail=KeyError("secret internals"))
    result = queued()
    result_process(result_id=result.id)
    result.refresh_from_db()
    assert result.status == "failed" and result.error == INTERNAL_ERROR
    assert result_files(media_root) == []


class TimeUp(Exception):
    """Stands in for the runner's time-limit exception (Celery's SoftTimeLimitExceeded)."""


def test_the_runners_timeout_exceptions_fail_the_job_as_a_timeout(queued, fake_upscaler, media_root):
    fake_upscaler(fail=TimeUp())
    timed_out = queued()
    result_process(result_id=timed_out.id, timeout_exceptions=(TimeUp,))
    timed_out.refresh_from_db()
    assert (timed_out.status, timed_out.error) == ("failed", TIMEOUT_ERROR)
    # The service knows no runner: an exception nobody said was a timeout is an internal error.
    unknown = queued()
    result_process(result_id=unknown.id)
    unknown.refresh_from_db()
    assert (unknown.status, unknown.error) == ("failed", INTERNAL_ERROR)
    assert result_files(media_root) == []


def test_a_timeout_while_storing_is_a_timeout_and_leaves_no_file(queued, media_root, monkeypatch):
    from django.core.files.storage import FileSystemStorage

    def write_part_then_time_out(storage, name, content):
        path = media_root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content.read(10))
        raise TimeUp

    result = queued()
    monkeypatch.setattr(FileSystemStorage, "_save", write_part_then_time_out)
    result_process(result_id=result.id, timeout_exceptions=(TimeUp,))
    result.refresh_from_db()
    assert (result.status, result.error) == ("failed", TIMEOUT_ERROR)
    assert result_files(media_root) == []


def test_failed_storage_write_leaves_no_half_written_file(queued, media_root, monkeypatch):
    from django.core.files.storage import FileSystemStorage

    def write_part_then_break(storage, name, content):
        # part of the file lands under the final name, then the disk is full
        path = media_root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content.read(10))
        raise OSError(28, "No space left on device")

    result = queued()
    monkeypatch.setattr(FileSystemStorage, "_save", write_part_then_break)
    result_process(result_id=result.id)
    result.refresh_from_db()
    assert result.status == "failed"
    assert result.error == "The result could not be stored (No space left on device); please try again later."
    assert result_files(media_root) == []


def test_cancel_while_running_stops_the_job_and_keeps_no_file(
    queued, fake_upscaler, media_root, sent_events
):
    result = queued()
    fake_upscaler(tiles=5, on_tile=lambda done: done == 3 and result_cancel(result_id=result.id))
    report = result_process(result_id=result.id)
    assert report.status == "cancelled"
    result.refresh_from_db()
    assert result.status == "cancelled" and result.tiles_done == 2
    assert result_files(media_root) == []
    assert sent_events[-1][1]["status"] == "cancelled" and sent_events[-1][1]["final"] is True


def test_cancel_during_the_last_tile_wins_over_success(queued, fake_upscaler, media_root):
    result = queued()
    fake_upscaler(tiles=1, on_tile=lambda done: result_cancel(result_id=result.id))
    result_process(result_id=result.id)
    assert Result.objects.get(pk=result.id).status == "cancelled"
    assert result_files(media_root) == []


def test_cancel_only_applies_to_unfinished_results(queued):
    result = queued()
    assert result_cancel(result_id=result.id) is True
    assert result_cancel(result_id=result.id) is False
    assert result_process(result_id=result.id).outcome is ClaimOutcome.DONE
    done = queued()
    result_process(result_id=done.id)
    assert result_cancel(result_id=done.id) is False
    assert Result.objects.get(pk=done.id).status == "succeeded"


def test_resume_embedded_redispatches_unfinished_jobs(
    queued, monkeypatch, django_capture_on_commit_callbacks, recorded_jobs
):
    waiting, stuck, finished = queued(), queued(), queued()
    result_claim(result_id=stuck.id)  # left running by a previous process
    result_process(result_id=finished.id)
    dispatched = recorded_jobs.result_ids
    dispatched.clear()  # the three creations above
    with django_capture_on_commit_callbacks(execute=True):
        assert results_resume_embedded() == 2
    assert sorted(map(str, dispatched)) == sorted([str(waiting.id), str(stuck.id)])
    # the abandoned lease is expired, so the claim can take it over
    assert result_process(result_id=stuck.id).status == "succeeded"


def test_progress_constraint_is_enforced_by_the_database(queued):
    from django.db import IntegrityError, transaction

    result = queued()
    with pytest.raises(IntegrityError), transaction.atomic():
        Result.objects.filter(pk=result.id).update(progress=101)
    with pytest.raises(IntegrityError), transaction.atomic():
        Result.objects.filter(pk=result.id).update(status="succeeded")  # no output
