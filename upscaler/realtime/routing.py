"""Websocket URL routes."""

from django.urls import path

from upscaler.realtime.consumers import SubmissionConsumer

websocket_urlpatterns = [
    path("ws/submissions/<uuid:submission_id>/", SubmissionConsumer.as_asgi()),
]
