"""Upload over HTTP to a real ASGI server -> Celery worker process -> result file at 4x ->
completion delivered to a websocket client through channels-redis (production settings)."""

import io

import pytest
from PIL import Image
from websockets.exceptions import ConnectionClosed

from upscaler.models import Result
from upscaler.tests.conftest import make_image_bytes
from upscaler.tests.support.servers import Browser, receive_event, receive_until_final

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

WIDTH, HEIGHT, SCALE = 64, 48, 4


def test_upload_worker_result_and_live_completion(server_port, worker, media_root_of_stack):
    browser = Browser(server_port)
    submission_id = browser.upload_ok(make_image_bytes(WIDTH, HEIGHT), scale=SCALE)

    with browser.websocket(submission_id) as ws:
        # No worker runs yet: the job waits in the `inference` queue.
        snapshot = receive_event(ws, timeout=20)
        assert snapshot["status"] == "queued" and snapshot["final"] is False
        _proc, log = worker()
        try:
            events = receive_until_final(ws, timeout=180)
        except AssertionError:
            raise AssertionError(log.read_text()[-4000:]) from None

    statuses = [e["status"] for e in events]
    assert "running" in statuses, statuses  # progress came from the worker process, live
    final = events[-1]
    assert final["status"] == "succeeded" and final["progress"] == 100, final

    result = Result.objects.get(pk=final["result"])
    assert str(result.submission_id) == submission_id
    assert (result.output_width, result.output_height) == (WIDTH * SCALE, HEIGHT * SCALE)
    path = media_root_of_stack / result.output.name
    assert path.is_file()
    with Image.open(path) as image:
        assert image.size == (WIDTH * SCALE, HEIGHT * SCALE)
    assert result.attempts == 1 and result.inference_ms is not None

    output = browser.http.get(final["output_url"])
    assert output.status_code == 200
    assert Image.open(io.BytesIO(output.content)).size == (WIDTH * SCALE, HEIGHT * SCALE)


def test_bad_upload_is_a_form_error_with_no_row(server_port):
    response = Browser(server_port).upload(b"definitely not a PNG")
    assert response.status_code == 400
    assert 'class="error"' in response.text
    assert Result.objects.count() == 0


def test_a_stranger_is_closed_with_4403(server_port):
    owner = Browser(server_port)
    submission_id = owner.upload_ok(make_image_bytes(8, 8), scale=2)
    stranger = Browser(server_port)
    stranger.http.get("/")
    with stranger.websocket(submission_id) as ws, pytest.raises(ConnectionClosed) as excinfo:
        ws.recv(timeout=20)
    assert excinfo.value.rcvd.code == 4403
