"""Websocket consumer: authorises a subscriber of one submission and forwards its events."""

from __future__ import annotations

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from upscaler import notifications, selectors
from upscaler.notifications import CLOSE_FORBIDDEN


class SubmissionConsumer(AsyncJsonWebsocketConsumer):
    group: str | None = None

    async def connect(self) -> None:
        submission_id = self.scope["url_route"]["kwargs"]["submission_id"]
        session = self.scope.get("session")
        submission = await database_sync_to_async(selectors.submission_get_visible)(
            submission_id=submission_id,
            user=self.scope.get("user"),
            session_key=session.session_key if session is not None else None,
        )
        # Accept first so that the client sees our close code, not just a failed handshake.
        await self.accept()
        if submission is None:
            await self.close(code=CLOSE_FORBIDDEN)
            return
        self.group = notifications.group_name(submission_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        # Read the state only after subscribing, so an update between the two is not lost;
        # a late subscriber still sees completion this way.
        events = await database_sync_to_async(selectors.submission_events)(
            submission_id=submission_id
        )
        for event in events:
            await self.send_json(event)

    async def disconnect(self, code) -> None:
        if self.group is not None:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content, **kwargs) -> None:
        # Subscribers only listen; whatever they send is ignored.
        return

    async def result_update(self, message) -> None:
        await self.send_json(message["event"])
