"""Recovery without a worker process: the reaper of expired leases (service, command, task) and a
job that loses its database mid-run (DatabaseUnavailable, resumed by its own retry only)."""

from datetime import timedelta
from io import StringIO

import pytest
from celery.exceptions import Retry
from django.core.management import call_command
from django.db import OperationalError
from django.utils import timezone

from upscaler.jobs.tasks import result_process_task, results_reap_stale_task
from upscaler.models import Result
from upscaler.services.recovery import results_reap_stale
from upscaler.services.results import ClaimOutcome, DatabaseUnavailable, result_claim, result_process
from upscaler.services.submissions import submission_create
from upscaler.tests.conftest import make_image_bytes, stored_files

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def dispatched(recorded_jobs) -> list:
    return recorded_jobs.result_ids


@pytest.fixture
def running(dispatched, make_upload):
    """A result claimed `attempts` times whose lease expired `expired_ago` seconds ago
    (negative: still valid)."""

    def _make(*, attempts=1, expired_ago=5.0):
        submission = submission_create(
            owner=None, session_key="r" * 32, upload=make_upload(make_image_bytes(12, 9)),
            scale=2, model_name="bicubic",
        )
        result = submission.results.get()
        Result.objects.filter(pk=result.id).update(
            status=Result.Status.RUNNING, attempts=attempts, progress=40,
            claimed_until=timezone.now() - timedelta(seconds=expired_ago),
        )
        return result

    return _make


def test_reaper_redispatches_expired_leases_and_leaves_live_ones(running, dispatched):
    dead = running(attempts=1)
    alive = running(attempts=1, expired_ago=-600)
    dispatched.clear()
    report = results_reap_stale()
    assert report.redispatched == [dead.id] and report.failed == []
    assert dispatched == [dead.id]
    # The re-dispatched job is taken over by the claim (its lease expired) and completes.
    assert result_process(result_id=dead.id).status == "succeeded"
    dead.refresh_from_db()
    assert dead.status == "succeeded" and dead.attempts == 2
    assert Result.objects.get(pk=alive.id).status == "running"


def test_reaper_fails_a_job_that_used_up_its_attempts_with_a_reason(running, dispatched, settings, sent_events):
    settings.UPSCALER_JOB_MAX_ATTEMPTS = 3
    result = running(attempts=3)
    dispatched.clear()
    report = results_reap_stale()
    assert report.failed == [result.id] and dispatched == []
    result.refresh_from_db()
    assert result.status == "failed" and result.claimed_until is None
    assert result.error == "The worker running this job stopped responding; gave up after 3 attempt(s)."
    assert sent_events[-1][1]["status"] == "failed" and sent_events[-1][1]["final"] is True


def test_reaper_command_and_task(running, dispatched, settings):
    settings.UPSCALER_JOB_MAX_ATTEMPTS = 2
    running(attempts=1)
    running(attempts=2)
    out = StringIO()
    call_command("reap_stale_jobs", stdout=out)
    assert out.getvalue().strip() == "Re-dispatched 1 job(s), failed 1 job(s), re-sent 0 long-queued job(s)."
    # Nothing is stale any more: the lease of the re-dispatched one is still expired (its
    # dispatch is faked here), so the periodic task sends it once more and fails none.
    assert results_reap_stale_task() == 1
    assert settings.CELERY_BEAT_SCHEDULE["reap-stale-jobs"]["task"] == results_reap_stale_task.name


def test_reaper_resends_jobs_queued_too_long_once_per_period(dispatched, make_upload, settings):
    """A broker that dies before flushing loses the task but not the `queued` row."""
    settings.UPSCALER_JOB_REQUEUE_SECONDS = 600

    def queued(age_s: float) -> Result:
        submission = submission_create(owner=None, session_key="q" * 32, scale=2, model_name="bicubic",
                                       upload=make_upload(make_image_bytes(12, 9)))
        Result.objects.filter(submission=submission).update(queued_at=timezone.now() - timedelta(seconds=age_s))
        return submission.results.get()

    lost, fresh = queued(900), queued(60)
    dispatched.clear()
    assert results_reap_stale().requeued == [lost.id] and dispatched == [lost.id]
    # Not again until another period has passed since it was re-sent.
    assert results_reap_stale().requeued == []
    Result.objects.filter(pk=lost.id).update(redispatched_at=timezone.now() - timedelta(seconds=700))
    assert results_reap_stale().requeued == [lost.id]
    # The re-sent task runs the job; a second (the original's) delivery would find nothing to do.
    assert result_process(result_id=lost.id).status == "succeeded"
    assert result_claim(result_id=lost.id)[0] == ClaimOutcome.DONE
    assert Result.objects.get(pk=fresh.id).status == "queued" and fresh.id not in dispatched


def test_database_lost_mid_job_keeps_the_claim_for_its_own_retry(running, fake_upscaler, media_root):
    result = running(attempts=0, expired_ago=-600)
    Result.objects.filter(pk=result.id).update(status=Result.Status.QUEUED, claimed_until=None)

    def cut(done):
        if done == 2:
            raise OperationalError("server closed the connection unexpectedly")

    fake_upscaler(tiles=4, on_tile=cut)
    with pytest.raises(DatabaseUnavailable) as excinfo:
        result_process(result_id=result.id)
    assert excinfo.value.attempt == 1
    result.refresh_from_db()
    assert result.status == "running" and result.attempts == 1  # nothing could be recorded
    # A duplicate delivery does not steal it (the lease is valid) ...
    assert result_claim(result_id=result.id)[0] is ClaimOutcome.BUSY
    # ... and the retry of a superseded attempt does not either.
    assert result_claim(result_id=result.id, resume_attempt=0)[0] is ClaimOutcome.BUSY

    fake_upscaler(tiles=4)
    assert result_process(result_id=result.id, resume_attempt=1).status == "succeeded"
    result.refresh_from_db()
    assert result.status == "succeeded" and result.attempts == 2
    assert len([f for f in stored_files(media_root) if f.startswith("results/")]) == 1


def test_database_lost_while_recording_success_removes_the_stored_file(running, fake_upscaler, media_root, monkeypatch):
    from upscaler.services import results

    result = running(attempts=0, expired_ago=-600)
    Result.objects.filter(pk=result.id).update(status=Result.Status.QUEUED, claimed_until=None)
    fake_upscaler(tiles=2)
    real_fenced = results._fenced
    calls = []

    def fenced(result_id, attempt):
        calls.append(attempt)
        if len(calls) == 3:  # two progress updates, then the success update
            raise OperationalError("connection refused")
        return real_fenced(result_id, attempt)

    monkeypatch.setattr(results, "_fenced", fenced)
    with pytest.raises(DatabaseUnavailable):
        result_process(result_id=result.id)
    assert [f for f in stored_files(media_root) if f.startswith("results/")] == []


def test_task_retries_on_database_errors_with_backoff_and_resumes_its_attempt(running, monkeypatch):
    result = running(attempts=1, expired_ago=-600)
    calls = []

    def fake_process(*, result_id, resume_attempt=None, timeout_exceptions=()):
        calls.append(resume_attempt)
        if len(calls) == 1:
            raise OperationalError("the database system is starting up")
        raise DatabaseUnavailable(attempt=7)

    retries = []

    def fake_retry(*, exc, countdown, kwargs):
        retries.append((type(exc).__name__, countdown, kwargs))
        return Retry("db")

    monkeypatch.setattr("upscaler.jobs.tasks.result_process", fake_process)
    monkeypatch.setattr(result_process_task, "retry", fake_retry)
    for _ in range(2):
        with pytest.raises(Retry):
            result_process_task(str(result.id))
    assert calls == [None, None]
    assert retries[0] == ("OperationalError", 1, {"result_id": str(result.id), "resume_attempt": None})
    assert retries[1][0] == "DatabaseUnavailable"
    assert retries[1][2] == {"result_id": str(result.id), "resume_attempt": 7}
    assert result_process_task.max_retries >= 20
