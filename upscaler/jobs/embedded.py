"""ASGI lifespan of the web process: binds the server loop for notifications, resumes the jobs
an in-process backend left unfinished (embedded mode), and stops its threads at shutdown."""

from __future__ import annotations

import asyncio
import logging

from asgiref.sync import sync_to_async

from upscaler import notifications
from upscaler.jobs import dispatch

logger = logging.getLogger(__name__)


class LifespanApp:
    async def __call__(self, scope, receive, send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    notifications.bind_event_loop(asyncio.get_running_loop())
                    if dispatch.get_backend().resumes_at_startup:
                        await sync_to_async(_resume_jobs, thread_sensitive=False)()
                except Exception as exc:
                    logger.exception("startup failed")
                    await send({"type": "lifespan.startup.failed", "message": str(exc)})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                dispatch.shutdown(wait=False)
                notifications.bind_event_loop(None)
                await send({"type": "lifespan.shutdown.complete"})
                return


def _resume_jobs() -> None:
    from django.db import connections

    from upscaler.services.result_queue import results_resume_embedded

    try:
        count = results_resume_embedded()
        if count:
            logger.info("resumed %d unfinished job(s)", count)
    finally:
        connections.close_all()
