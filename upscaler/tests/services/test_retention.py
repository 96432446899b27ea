"""Retention: old submissions go (files and rows), gallery items and recent activity stay;
the same through the service, `manage.py purge_old` and the beat task."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from upscaler.jobs.tasks import submissions_purge_old_task
from upscaler.models import Result, Submission
from upscaler.services.result_queue import result_create
from upscaler.services.retention import submissions_purge_old
from upscaler.services.thumbnails import submission_thumbnail_ensure
from upscaler.tests.conftest import stored_files
from upscaler.tests.support.factories import create_submission

pytestmark = pytest.mark.django_db(transaction=True)  # files are deleted on commit


def aged(submission: Submission, days: int) -> Submission:
    """Move a submission and its results `days` into the past (created/queued)."""
    then = timezone.now() - timedelta(days=days)
    Submission.objects.filter(pk=submission.pk).update(created=then)
    Result.objects.filter(submission=submission).update(queued_at=then)
    return submission


@pytest.fixture
def scene(settings, media_root):
    settings.UPSCALER_RETENTION_DAYS = 30
    old = aged(create_submission(), 40)
    submission_thumbnail_ensure(submission=old)
    return {
        "old": old,
        "old_failed_run": aged(create_submission(run=False), 31),
        "recent": aged(create_submission(), 5),
        "old_approved": aged(create_submission(review_state=Submission.ReviewState.APPROVED), 400),
        "old_featured": aged(create_submission(review_state=Submission.ReviewState.FEATURED), 400),
        "old_rejected": aged(create_submission(review_state=Submission.ReviewState.REJECTED), 40),
    }


def names_of(submission: Submission) -> list[str]:
    return [submission.original.name] + [r.output.name for r in submission.results.all() if r.output]


def test_old_submissions_go_with_their_files_and_the_gallery_stays(scene, media_root):
    old_files = names_of(scene["old"])
    assert set(old_files) <= set(stored_files(media_root))
    report = submissions_purge_old()
    assert report.submissions == 3 and report.results == 3 and not report.dry_run
    remaining = set(Submission.objects.values_list("pk", flat=True))
    assert remaining == {scene[k].pk for k in ("recent", "old_approved", "old_featured")}
    files = stored_files(media_root)
    assert not set(old_files) & set(files)
    assert not any(str(scene["old"].id) in name for name in files)  # thumbnails too
    for key in ("recent", "old_approved", "old_featured"):
        assert set(names_of(scene[key])) <= set(files), key


def test_a_recent_result_keeps_an_old_submission(scene):
    result_create(submission=scene["old"], model_name="bicubic", scale=2)  # re-run today
    submissions_purge_old()
    assert Submission.objects.filter(pk=scene["old"].pk).exists()


def test_dry_run_deletes_nothing(scene, media_root):
    before = stored_files(media_root)
    report = submissions_purge_old(dry_run=True)
    assert (report.submissions, report.results, report.dry_run) == (3, 3, True)
    assert Submission.objects.count() == 6 and stored_files(media_root) == before


def test_zero_days_keeps_everything(scene, settings):
    settings.UPSCALER_RETENTION_DAYS = 0
    assert submissions_purge_old().submissions == 0
    assert Submission.objects.count() == 6


def test_the_command(scene):
    out = StringIO()
    call_command("purge_old", "--dry-run", stdout=out)
    assert out.getvalue().startswith("Would delete 3 submission(s) and 3 result(s)")
    assert Submission.objects.count() == 6
    out = StringIO()
    call_command("purge_old", "--days", "35", stdout=out)  # the 31-day-old one stays
    assert out.getvalue().startswith("Deleted 2 submission(s)")
    assert Submission.objects.filter(pk=scene["old_failed_run"].pk).exists()
    with pytest.raises(CommandError):
        call_command("purge_old", "--days", "-1")


def test_the_beat_task(scene):
    assert submissions_purge_old_task.run() == 3
    assert Submission.objects.count() == 3


def test_the_schedule_runs_the_task_daily(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["purge-old-submissions"]
    assert entry["task"] == submissions_purge_old_task.name
    assert entry["schedule"].hour == {3}


def test_expired_sessions_are_cleared_and_live_ones_kept():
    from datetime import timedelta

    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session
    from django.utils import timezone

    from upscaler.services.retention import sessions_clear_expired

    live, old = SessionStore(), SessionStore()
    live.create()
    old.create()
    Session.objects.filter(session_key=old.session_key).update(expire_date=timezone.now() - timedelta(days=1))
    assert sessions_clear_expired() == 1
    assert list(Session.objects.values_list("session_key", flat=True)) == [live.session_key]
