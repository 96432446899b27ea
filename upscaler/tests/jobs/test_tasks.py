"""The Celery task is thin plumbing: its name, acks, routing, its time limit's exception and
retry of a busy job."""

from datetime import timedelta

import pytest
from celery.exceptions import Retry, SoftTimeLimitExceeded
from django.utils import timezone

from srsite.celery import app
from upscaler.jobs.tasks import result_process_task
from upscaler.models import Result
from upscaler.services.results import ClaimOutcome, ProcessReport, result_claim
from upscaler.services.submissions import submission_create


def test_task_configuration():
    # The policy is stated once, in the CELERY_* settings; the task reads it from the app.
    assert result_process_task.name == "upscaler.result_process"
    assert result_process_task.acks_late is True
    assert result_process_task.reject_on_worker_lost is True
    assert app.conf.task_soft_time_limit < app.conf.task_time_limit
    route = app.amqp.router.route({}, "upscaler.result_process", args=("x",), kwargs={})
    assert route["queue"].name == "inference"
    assert app.conf.worker_prefetch_multiplier == 1


@pytest.fixture
def queued_result(make_upload, monkeypatch, recorded_jobs):
    submission = submission_create(
        owner=None, session_key="c" * 32, upload=make_upload(), scale=2, model_name="bicubic"
    )
    return submission.results.get()


@pytest.mark.django_db(transaction=True)
def test_task_runs_the_service_with_an_id_string(queued_result):
    assert result_process_task(str(queued_result.id)) == "succeeded"
    assert Result.objects.get(pk=queued_result.id).status == "succeeded"
    assert result_process_task(str(queued_result.id)) == "succeeded"  # redelivery: no-op


def test_task_tells_the_service_which_exception_is_its_time_limit(monkeypatch):
    calls = []

    def fake_process(**kwargs):
        calls.append(kwargs)
        return ProcessReport(ClaimOutcome.CLAIMED, "failed")

    monkeypatch.setattr("upscaler.jobs.tasks.result_process", fake_process)
    assert result_process_task("some-id") == "failed"
    assert calls == [{"result_id": "some-id", "resume_attempt": None, "timeout_exceptions": (SoftTimeLimitExceeded,)}]


@pytest.mark.django_db(transaction=True)
def test_task_retries_a_job_that_is_running_elsewhere(queued_result, monkeypatch):
    result_claim(result_id=queued_result.id)
    countdowns = []

    def fake_retry(*, countdown):
        countdowns.append(countdown)
        return Retry("busy")

    monkeypatch.setattr(result_process_task, "retry", fake_retry)
    with pytest.raises(Retry):
        result_process_task(str(queued_result.id))
    lease_left = (Result.objects.get(pk=queued_result.id).claimed_until - timezone.now())
    assert countdowns and abs(countdowns[0] - lease_left.total_seconds()) < timedelta(
        seconds=5
    ).total_seconds()
