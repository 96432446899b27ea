"""Structured logs: the JSON formatter, the context filter, and the ids on every line about a
submission (job path, views with a submission or result in the URL)."""

from __future__ import annotations

import io
import json
import logging

import pytest

from srsite.logs import ContextFilter, JsonFormatter, log_context, log_context_get, logging_config
from upscaler.tests.support.factories import create_submission


def _logger(formatter: logging.Formatter) -> tuple[logging.Logger, io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    handler.addFilter(ContextFilter())
    logger = logging.getLogger(f"srsite-test-{id(stream)}")
    logger.handlers, logger.propagate, logger.level = [handler], False, logging.DEBUG
    return logger, stream


def test_json_lines_carry_the_bound_ids_extras_and_tracebacks():
    logger, stream = _logger(JsonFormatter())
    with log_context(submission_id="sub-1", result_id="res-1"):
        logger.info("hello %s", "world", extra={"attempt": 2})
    try:
        raise ValueError("boom")
    except ValueError:
        logger.exception("failed")
    first, second = (json.loads(line) for line in stream.getvalue().splitlines())
    assert first["message"] == "hello world" and first["level"] == "INFO"
    assert first["submission_id"] == "sub-1" and first["result_id"] == "res-1" and first["attempt"] == 2
    assert first["time"].endswith("+00:00")
    assert "submission_id" not in second  # unbound after the block
    assert "ValueError: boom" in second["exc_info"]


def test_uvicorn_access_records_become_fields():
    record = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
                               ("127.0.0.1:5000", "GET", "/healthz", "1.1", 200), None)
    entry = json.loads(JsonFormatter().format(record))
    assert entry | {"method": "GET", "path": "/healthz", "status": 200, "client": "127.0.0.1:5000"} == entry


def test_text_lines_show_the_ids():
    text_format = logging_config(fmt="text", level="INFO")["formatters"]["main"]["format"]
    logger, stream = _logger(logging.Formatter(text_format))
    with log_context(submission_id="abc"):
        logger.warning("slow")
    logger.warning("plain")
    lines = stream.getvalue().splitlines()
    assert lines[0].endswith("[submission=abc]: slow") and lines[1].endswith(": plain")


def test_log_context_nests_and_restores():
    with log_context(submission_id="outer"):
        with log_context(result_id="inner"):
            assert log_context_get() == {"submission_id": "outer", "result_id": "inner"}
        assert log_context_get() == {"submission_id": "outer"}
    assert log_context_get() == {}


def test_unknown_format_is_refused():
    with pytest.raises(ValueError):
        logging_config(fmt="xml", level="INFO")


@pytest.fixture
def records(caplog):
    """The test's records as the console handler's filter sees them (read caplog.records late:
    the list is replaced between test phases)."""
    caplog.handler.addFilter(ContextFilter())
    caplog.set_level(logging.INFO)
    return caplog


@pytest.mark.django_db
def test_every_job_line_carries_the_submission_and_result_ids(records):
    submission = create_submission()
    result = submission.results.get()
    job_lines = [r for r in records.records if r.name == "upscaler.services.results"]
    assert job_lines, "the job logged nothing"
    for record in job_lines:
        assert record.submission_id == str(submission.id) and record.result_id == str(result.id)
    assert log_context_get() == {}  # nothing leaks out of the job


@pytest.mark.django_db
def test_views_bind_the_ids_of_their_url(client, user, records, monkeypatch):
    from upscaler.web import views

    submission = create_submission(owner=user)
    result = submission.results.get()
    original = views.stored_file_response

    def logged(*args, **kwargs):
        logging.getLogger("upscaler.web.views").info("serving a file")
        return original(*args, **kwargs)

    monkeypatch.setattr(views, "stored_file_response", logged)
    client.force_login(user)
    response = client.get(f"/r/{result.id}/output.png")
    assert response.status_code == 200
    b"".join(response.streaming_content)  # a server consumes and closes the response
    served = next(r for r in records.records if r.name == "upscaler.web.views")
    assert served.result_id == str(result.id)
    assert log_context_get() == {}  # cleared when the response was closed

    client.logout()  # a stranger: 404, and Django's own "Not Found" line has the id too
    assert client.get(f"/s/{submission.id}/original").status_code == 404
    not_found = [r for r in records.records if r.name == "django.request"][-1]
    assert not_found.submission_id == str(submission.id)
    assert log_context_get() == {}
