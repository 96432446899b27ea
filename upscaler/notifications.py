"""The one event schema for result updates, where subscribers listen for it (the websocket path,
the close code of a refusal), and delivering it to websocket groups from any thread.

Every event is a snapshot of one result:

    {"type": "result.update", "submission": "<uuid>", "result": "<uuid>",
     "status": "queued|running|succeeded|failed|cancelled", "progress": 0-100,
     "tiles_done": int, "tiles_total": int, "error": str, "output_url": str | None,
     "reference_url": str | None, "final": bool}

`final` is true when every result of the submission is in a terminal state: nothing more
will be sent for it. Services call `result_notify` inside their transaction; the event is
built from the state being committed and sent on commit.

Embedded mode uses Channels' InMemoryChannelLayer, which is asyncio-based and lives on the
ASGI server's event loop. Job threads must not touch it directly, so the server binds its
loop at startup (see upscaler/jobs/embedded.py) and sends from other threads are scheduled onto
that loop with `asyncio.run_coroutine_threadsafe`. Without a bound loop (a Celery worker),
`async_to_sync` is used, which is right for channels-redis.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction
from django.urls import reverse

if TYPE_CHECKING:
    from upscaler.models import Result

logger = logging.getLogger(__name__)

EVENT_TYPE = "result.update"
# Where a submission's subscribers connect: realtime/routing.py routes this path, the API links
# to it and the submission page opens it. Written once, here, below the layers that use it.
WEBSOCKET_PATH = "/ws/submissions/{submission_id}/"
# Application close code: the submission does not exist or belongs to someone else (the page's
# script tells the visitor so instead of reconnecting).
CLOSE_FORBIDDEN = 4403
# A send that cannot be delivered within this many seconds is dropped (the DB holds the
# truth; a subscriber that reconnects gets the current state).
SEND_TIMEOUT_SECONDS = 10

_loop: asyncio.AbstractEventLoop | None = None


def group_name(submission_id) -> str:
    return f"submission.{submission_id}"


def websocket_path(submission_id) -> str:
    """The path of a submission's websocket (the page joins it to its own origin)."""
    return WEBSOCKET_PATH.format(submission_id=submission_id)


def websocket_url(*, secure: bool, host: str, submission_id) -> str:
    """The absolute websocket URL of a submission, for clients that are not on the page (the API)."""
    return f"{'wss' if secure else 'ws'}://{host}{websocket_path(submission_id)}"


def bind_event_loop(loop: asyncio.AbstractEventLoop | None) -> None:
    """Called by the ASGI server process at startup with its running loop (None to unbind)."""
    global _loop
    _loop = loop


def result_event(result: Result, *, final: bool) -> dict:
    succeeded = result.status == result.Status.SUCCEEDED
    return {
        "type": EVENT_TYPE,
        "submission": str(result.submission_id),
        "result": str(result.id),
        "status": str(result.status),
        "progress": int(result.progress),
        "tiles_done": int(result.tiles_done),
        "tiles_total": int(result.tiles_total),
        "error": result.error,
        "output_url": reverse("upscaler:result-output", args=[result.id]) if succeeded else None,
        "reference_url": (
            reverse("upscaler:result-reference", args=[result.id]) if succeeded else None
        ),
        "final": final,
    }


def result_notify(result: Result, *, final: bool) -> None:
    """Send `result`'s current state to its submission's subscribers once the transaction commits."""
    event = result_event(result, final=final)
    group = group_name(result.submission_id)
    transaction.on_commit(lambda: group_send(group, event))


def group_send(group: str, event: dict) -> None:
    """Deliver one event to a group from any thread; failures are logged, never raised."""
    layer = get_channel_layer()
    if layer is None:
        return
    message = {"type": EVENT_TYPE, "event": event}
    try:
        loop = _loop
        if loop is not None and loop.is_running():
            try:
                current = asyncio.get_running_loop()
            except RuntimeError:
                current = None
            if current is loop:
                # Called from async code on the server loop itself: never block it.
                loop.create_task(layer.group_send(group, message))
                return
            future = asyncio.run_coroutine_threadsafe(layer.group_send(group, message), loop)
            future.result(timeout=SEND_TIMEOUT_SECONDS)
        else:
            async_to_sync(layer.group_send)(group, message)
    except Exception:
        logger.exception("could not send %s to %s", event.get("status"), group)
