"""Job dispatch: the runner named by UPSCALER_JOB_RUNNER gets the result id."""

import threading

import pytest
from django.core.exceptions import ImproperlyConfigured

from upscaler import jobs
from upscaler.services import results as results_service
from upscaler.tasks import result_process_task


def test_celery_runner_sends_the_id_string(settings, monkeypatch):
    settings.UPSCALER_JOB_RUNNER = "celery"
    sent = []
    monkeypatch.setattr(result_process_task, "delay", sent.append)
    jobs.result_dispatch("0b8b7a34-2f6e-4a7c-9d85-7c3f1f0c1e11")
    assert sent == ["0b8b7a34-2f6e-4a7c-9d85-7c3f1f0c1e11"]


def test_thread_runner_runs_in_a_pool_thread_and_closes_its_connections(settings, monkeypatch):
    settings.UPSCALER_JOB_RUNNER = "thread"
    seen = []
    closed = []
    done = threading.Event()

    def fake_process(*, result_id):
        seen.append((result_id, threading.current_thread().name))

    monkeypatch.setattr(results_service, "result_process", fake_process)
    monkeypatch.setattr(jobs.connections, "close_all", lambda: (closed.append(True), done.set()))
    try:
        jobs.result_dispatch("id-1")
        assert done.wait(10)
    finally:
        jobs.shutdown(wait=True)
    assert seen[0][0] == "id-1" and seen[0][1].startswith("upscaler-job")
    assert closed == [True]


def test_unknown_runner_is_a_configuration_error(settings):
    settings.UPSCALER_JOB_RUNNER = "carrier-pigeon"
    with pytest.raises(ImproperlyConfigured):
        jobs.result_dispatch("x")
