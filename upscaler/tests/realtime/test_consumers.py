"""SubmissionConsumer through the full ASGI app: authorisation, snapshot on connect, live events
from the in-process (thread) job runner via the in-memory channel layer."""

import asyncio
import json
import threading
import time

import pytest
from asgiref.sync import sync_to_async
from asgiref.testing import ApplicationCommunicator
from channels.layers import channel_layers
from django.conf import settings as django_settings
from django.contrib.sessions.backends.db import SessionStore

from srsite.asgi import application
from upscaler.jobs import dispatch as jobs
from upscaler.realtime.consumers import CLOSE_FORBIDDEN
from upscaler.services.results import result_process
from upscaler.services.submissions import submission_create
from upscaler.tests.support.wsclient import WebsocketClient as WebsocketCommunicator
from upscaler.tests.support.wsclient import first_message

pytestmark = pytest.mark.django_db(transaction=True)

ORIGIN = (b"origin", b"http://127.0.0.1:8000")
MAX_DELIVERY_SECONDS = 5


@pytest.fixture(autouse=True)
def _fresh_channel_layer():
    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


def new_session_key() -> str:
    session = SessionStore()
    session.create()
    return session.session_key


def headers_for(session_key: str | None):
    headers = [ORIGIN]
    if session_key:
        headers.append((b"cookie", f"{django_settings.SESSION_COOKIE_NAME}={session_key}".encode()))
    return headers


def make_submission(make_upload, session_key, monkeypatch=None):
    return submission_create(
        owner=None, session_key=session_key, upload=make_upload(), scale=2, model_name="bicubic"
    )


async def receive_until_final(communicator, timeout=20):
    events = []
    while True:
        event = await communicator.receive_json_from(timeout=timeout)
        events.append(event)
        if event["final"]:
            return events


def test_owner_gets_current_state_on_connect_including_completion(make_upload, monkeypatch, recorded_jobs):
    key = new_session_key()
    submission = make_submission(make_upload, key)
    result = submission.results.get()
    result_process(result_id=result.id)  # finished before anyone subscribed

    message = first_message(application, f"/ws/submissions/{submission.id}/", headers_for(key))
    assert message is not None and message["type"] == "websocket.send", message
    event = json.loads(message["text"])
    assert event["result"] == str(result.id) and event["status"] == "succeeded"
    assert event["final"] is True and event["output_url"].endswith("/output.png")


@pytest.mark.parametrize("who", ["other-session", "no-session", "missing-submission"])
def test_others_are_closed_with_4403(make_upload, monkeypatch, who, recorded_jobs):
    submission = make_submission(make_upload, new_session_key())
    path = f"/ws/submissions/{submission.id}/"
    key = new_session_key()
    if who == "no-session":
        key = None
    elif who == "missing-submission":
        path = "/ws/submissions/00000000-0000-4000-8000-000000000000/"

    async def scenario():
        communicator = WebsocketCommunicator(application, path, headers=headers_for(key))
        connected, _ = await communicator.connect()
        assert connected  # accepted, so that the close code reaches the client
        message = await communicator.receive_output(timeout=5)
        return message

    message = asyncio.run(scenario())
    assert message == {"type": "websocket.close", "code": CLOSE_FORBIDDEN}


def test_user_owner_can_subscribe(make_upload, monkeypatch, user, client, recorded_jobs):
    submission = submission_create(
        owner=user, session_key=None, upload=make_upload(), scale=2, model_name="bicubic"
    )
    client.force_login(user)
    key = client.session.session_key

    async def scenario():
        communicator = WebsocketCommunicator(
            application, f"/ws/submissions/{submission.id}/", headers=headers_for(key)
        )
        connected, _ = await communicator.connect()
        event = await communicator.receive_json_from(timeout=5)
        await communicator.disconnect()
        return connected, event

    connected, event = asyncio.run(scenario())
    assert connected and event["status"] == "queued" and event["final"] is False


def test_foreign_origin_is_rejected(make_upload, monkeypatch, recorded_jobs):
    key = new_session_key()
    submission = make_submission(make_upload, key)

    async def scenario():
        headers = [(b"origin", b"http://evil.example"), headers_for(key)[1]]
        communicator = WebsocketCommunicator(
            application, f"/ws/submissions/{submission.id}/", headers=headers
        )
        return await communicator.connect()

    connected, _ = asyncio.run(scenario())
    assert not connected


def test_thread_runner_delivers_live_progress_and_completion(make_upload, settings, fake_upscaler):
    """Embedded mode in one process: lifespan binds the loop, the job runs in a pool thread,
    and a subscriber receives its progress and completion through the in-memory layer."""
    settings.UPSCALER_JOB_BACKEND = "upscaler.jobs.backends.thread.ThreadBackend"
    gate = threading.Event()
    fake_upscaler(tiles=3, gate=gate)
    key = new_session_key()

    async def scenario():
        lifespan = ApplicationCommunicator(application, {"type": "lifespan"})
        await lifespan.send_input({"type": "lifespan.startup"})
        assert (await lifespan.receive_output(timeout=10))["type"] == "lifespan.startup.complete"

        submission = await sync_to_async(make_submission)(make_upload, key)
        communicator = WebsocketCommunicator(
            application, f"/ws/submissions/{submission.id}/", headers=headers_for(key)
        )
        connected, _ = await communicator.connect()
        assert connected
        snapshot = await communicator.receive_json_from(timeout=5)
        gate.set()  # the job may only advance once we are subscribed
        started = time.monotonic()
        events = await receive_until_final(communicator)
        elapsed = time.monotonic() - started
        await communicator.disconnect()

        await lifespan.send_input({"type": "lifespan.shutdown"})
        assert (await lifespan.receive_output(timeout=10))["type"] == "lifespan.shutdown.complete"
        return snapshot, events, elapsed

    try:
        snapshot, events, elapsed = asyncio.run(scenario())
    finally:
        gate.set()
        jobs.shutdown(wait=True)

    assert snapshot["status"] in ("queued", "running") and snapshot["final"] is False
    tiles = [e["tiles_done"] for e in events if e["status"] == "running"]
    assert tiles[-3:] == [1, 2, 3]
    assert events[-1]["status"] == "succeeded" and events[-1]["final"] is True
    assert events[-1]["progress"] == 100
    # Events sent unsafely from the thread would only surface when the loop woke for another
    # reason (here: a receive timeout); delivered properly they take milliseconds.
    assert elapsed < MAX_DELIVERY_SECONDS
