"""notifications: the event schema, where subscribers connect, and delivery from a worker thread
to the server loop."""

import asyncio
import threading
import time

import pytest
from channels.layers import channel_layers, get_channel_layer

from upscaler import notifications
from upscaler.models import Result, Submission

# Generous for a loaded 2-core machine; a correct send takes milliseconds.
MAX_DELIVERY_SECONDS = 3


@pytest.fixture(autouse=True)
def _fresh_channel_layer():
    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


def test_the_websocket_path_is_written_once_and_is_what_the_router_routes():
    import uuid

    from upscaler.realtime.routing import websocket_urlpatterns

    submission_id = uuid.uuid4()
    path = notifications.websocket_path(submission_id)
    assert path == f"/ws/submissions/{submission_id}/"
    [route] = websocket_urlpatterns
    # Channels' URLRouter matches the path without its leading slash.
    assert route.resolve(path.removeprefix("/")).kwargs == {"submission_id": submission_id}
    url = notifications.websocket_url(secure=True, host="example.com", submission_id=submission_id)
    assert url == f"wss://example.com{path}"


def test_event_schema():
    submission = Submission(id="6f1c1a2e-0000-4000-8000-000000000001")
    result = Result(
        id="6f1c1a2e-0000-4000-8000-000000000002", submission=submission, status="succeeded",
        progress=100, tiles_done=4, tiles_total=4,
    )
    event = notifications.result_event(result, final=True)
    assert event == {
        "type": "result.update",
        "submission": "6f1c1a2e-0000-4000-8000-000000000001",
        "result": "6f1c1a2e-0000-4000-8000-000000000002",
        "status": "succeeded",
        "progress": 100,
        "tiles_done": 4,
        "tiles_total": 4,
        "error": "",
        "output_url": "/r/6f1c1a2e-0000-4000-8000-000000000002/output.png",
        "reference_url": "/r/6f1c1a2e-0000-4000-8000-000000000002/bicubic.png",
        "final": True,
    }
    result.status = "running"
    running = notifications.result_event(result, final=False)
    assert running["output_url"] is None and running["reference_url"] is None


def test_send_from_a_worker_thread_reaches_the_in_memory_layer_on_the_server_loop():
    layer = get_channel_layer()
    assert type(layer).__name__ == "InMemoryChannelLayer"
    sender_threads: list[str] = []

    def send_from_thread():
        sender_threads.append(threading.current_thread().name)
        notifications.group_send("submission.x", {"status": "running", "n": 1})
        notifications.group_send("submission.x", {"status": "succeeded", "n": 2})

    async def scenario():
        notifications.bind_event_loop(asyncio.get_running_loop())
        channel = await layer.new_channel()
        await layer.group_add("submission.x", channel)
        thread = threading.Thread(target=send_from_thread, name="job-thread")
        started = time.monotonic()
        thread.start()
        first = await asyncio.wait_for(layer.receive(channel), timeout=10)
        second = await asyncio.wait_for(layer.receive(channel), timeout=10)
        elapsed = time.monotonic() - started
        await asyncio.get_running_loop().run_in_executor(None, thread.join)
        return first, second, elapsed

    first, second, elapsed = asyncio.run(scenario())
    # Sent unsafely (from another thread's loop), the event would sit unnoticed until the
    # server loop wakes up for some other reason: delivery must be prompt.
    assert elapsed < MAX_DELIVERY_SECONDS
    assert sender_threads == ["job-thread"]
    assert first == {"type": "result.update", "event": {"status": "running", "n": 1}}
    assert second["event"]["n"] == 2  # order preserved


def test_send_failures_are_logged_not_raised(monkeypatch, caplog):
    class BrokenLayer:
        async def group_send(self, group, message):
            raise ConnectionError("redis down")

    monkeypatch.setattr(notifications, "get_channel_layer", lambda: BrokenLayer())
    notifications.group_send("submission.y", {"status": "running"})
    assert "could not send running to submission.y" in caplog.text
