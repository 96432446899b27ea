"""A minimal in-process websocket test client on asgiref's ApplicationCommunicator.

(channels.testing would do, but importing it requires daphne, which we do not ship.)
"""

from __future__ import annotations

import asyncio
import json
from urllib.parse import unquote, urlparse

from asgiref.testing import ApplicationCommunicator


class WebsocketClient(ApplicationCommunicator):
    def __init__(self, application, path: str, headers=None):
        parsed = urlparse(path)
        super().__init__(
            application,
            {
                "type": "websocket",
                "path": unquote(parsed.path),
                "query_string": parsed.query.encode(),
                "headers": list(headers or []),
                "subprotocols": [],
                "client": ["127.0.0.1", 50000],
                "server": ["127.0.0.1", 8000],
            },
        )

    async def connect(self, timeout: float = 5) -> tuple[bool, int | None]:
        await self.send_input({"type": "websocket.connect"})
        response = await self.receive_output(timeout)
        if response["type"] == "websocket.close":
            return False, response.get("code", 1000)
        return True, None

    async def receive_json_from(self, timeout: float = 5) -> dict:
        message = await self.receive_output(timeout)
        assert message["type"] == "websocket.send", message
        return json.loads(message["text"])

    async def disconnect(self, code: int = 1000, timeout: float = 5) -> None:
        await self.send_input({"type": "websocket.disconnect", "code": code})
        await self.wait(timeout)


def first_message(application, path: str, headers) -> dict | None:
    """Connect, take the first message the server sends once it accepted, disconnect. None when
    the handshake itself is refused (a close instead of an accept)."""

    async def scenario():
        ws = WebsocketClient(application, path, headers=headers)
        connected, _ = await ws.connect()
        if not connected:
            return None
        message = await ws.receive_output(timeout=5)
        await ws.disconnect()
        return message

    return asyncio.run(scenario())
