"""Job dispatch: services enqueue by task name; the backend at UPSCALER_JOB_BACKEND runs the job."""

import threading

import pytest
from django.core.exceptions import ImproperlyConfigured

from srsite.celery import app
from upscaler.jobs import dispatch, registry
from upscaler.jobs.backends import ALIASES
from upscaler.services import results as results_service

RESULT_ID = "0b8b7a34-2f6e-4a7c-9d85-7c3f1f0c1e11"


def test_celery_backend_sends_the_task_by_name_with_the_id_string(settings, monkeypatch):
    settings.UPSCALER_JOB_BACKEND = ALIASES["celery"]
    sent = []
    monkeypatch.setattr(app, "send_task", lambda name, kwargs: sent.append((name, kwargs)))
    dispatch.enqueue("upscaler.result_process", result_id=RESULT_ID)
    assert sent == [("upscaler.result_process", {"result_id": RESULT_ID})]


def test_every_registered_job_is_a_celery_task_of_the_same_name():
    app.loader.import_default_modules()
    assert set(registry.JOBS) <= set(app.tasks)


def test_thread_backend_runs_in_a_pool_thread_and_closes_its_connections(settings, monkeypatch):
    from upscaler.jobs.backends import thread

    settings.UPSCALER_JOB_BACKEND = ALIASES["thread"]
    seen = []
    closed = []
    done = threading.Event()

    def fake_process(*, result_id):
        seen.append((result_id, threading.current_thread().name))

    monkeypatch.setattr(results_service, "result_process", fake_process)
    monkeypatch.setattr(thread.connections, "close_all", lambda: (closed.append(True), done.set()))
    try:
        dispatch.enqueue("upscaler.result_process", result_id="id-1")
        assert done.wait(10)
    finally:
        dispatch.shutdown(wait=True)
    assert seen[0][0] == "id-1" and seen[0][1].startswith("upscaler-job")
    assert closed == [True]


def test_thread_backend_keeps_webhooks_off_the_inference_pool(settings):
    from upscaler.jobs.backends.thread import _queue_of

    assert _queue_of("upscaler.result_process") == "inference"
    assert _queue_of("upscaler.webhook_deliver") == "default"


@pytest.mark.django_db
def test_enqueue_on_commit_waits_for_the_commit(recorded_jobs, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        dispatch.enqueue_on_commit("upscaler.result_process", result_id=RESULT_ID)
    assert recorded_jobs.sent == []
    for callback in callbacks:
        callback()
    assert recorded_jobs.sent == [("upscaler.result_process", {"result_id": RESULT_ID})]


def test_retried_jobs_follow_their_policy_in_process(monkeypatch):
    attempts, sleeps = [], []
    monkeypatch.setattr(registry.time, "sleep", sleeps.append)
    monkeypatch.setattr(registry, "JOBS", {"t": registry.Job("t", "x.service", retry_in="x.retry_in")})
    policies = {"x.service": lambda *, attempt: attempts.append(attempt) or attempt == 3,
                "x.retry_in": lambda *, attempt: None if attempt >= 5 else attempt * 2.0}
    monkeypatch.setattr(registry, "import_string", policies.__getitem__)
    assert registry.job_run("t", {}) is True
    assert attempts == [1, 2, 3] and sleeps == [2.0, 4.0]


def test_unknown_backend_and_unknown_job_are_errors(settings):
    settings.UPSCALER_JOB_BACKEND = "upscaler.jobs.backends.carrier_pigeon.PigeonBackend"
    with pytest.raises(ImproperlyConfigured):
        dispatch.enqueue("upscaler.result_process", result_id="x")
    settings.UPSCALER_JOB_BACKEND = "upscaler.models.Result"
    with pytest.raises(ImproperlyConfigured, match="not a JobBackend"):
        dispatch.enqueue("upscaler.result_process", result_id="x")
    settings.UPSCALER_JOB_BACKEND = ALIASES["inline"]
    with pytest.raises(LookupError):
        dispatch.enqueue_on_commit("upscaler.carrier_pigeon", result_id="x")


def test_environment_aliases_and_the_old_variable_name(monkeypatch):
    from srsite.settings.base import job_backend

    monkeypatch.delenv("UPSCALER_JOB_BACKEND", raising=False)
    monkeypatch.delenv("UPSCALER_JOB_RUNNER", raising=False)
    assert job_backend("celery") == ALIASES["celery"]
    monkeypatch.setenv("UPSCALER_JOB_RUNNER", "thread")  # the name before the seam had one
    assert job_backend("celery") == ALIASES["thread"]
    monkeypatch.setenv("UPSCALER_JOB_BACKEND", "myproject.jobs.Backend")
    assert job_backend("celery") == "myproject.jobs.Backend"
