"""ASGI entry point: HTTP (Django), websockets (Channels) and lifespan (embedded job runner)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "srsite.settings.dev")

# Django must be set up before anything imports models.
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from upscaler.jobs.embedded import LifespanApp  # noqa: E402
from upscaler.ops.body_limit import RequestBodyLimit  # noqa: E402
from upscaler.realtime.auth import BrowserOriginCheck, WebsocketTokenAuthMiddleware  # noqa: E402
from upscaler.realtime.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        # Before Django reads a byte: an over-long body is refused, never spooled to disk.
        "http": RequestBodyLimit(django_asgi_app),
        "websocket": BrowserOriginCheck(
            # Browsers authenticate by session; scripts by `Authorization: Token <key>`.
            AuthMiddlewareStack(WebsocketTokenAuthMiddleware(URLRouter(websocket_urlpatterns)))
        ),
        "lifespan": LifespanApp(),
    }
)
