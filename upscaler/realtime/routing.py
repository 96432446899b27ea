"""Websocket URL routes."""

from django.urls import path

from upscaler.notifications import WEBSOCKET_PATH
from upscaler.realtime.consumers import SubmissionConsumer

websocket_urlpatterns = [
    # The path is written once, in notifications (the API and the page build it from there too).
    path(
        WEBSOCKET_PATH.removeprefix("/").format(submission_id="<uuid:submission_id>"),
        SubmissionConsumer.as_asgi(),
    ),
]
