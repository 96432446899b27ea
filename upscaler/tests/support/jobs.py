"""A job backend for tests that records what services enqueue instead of running it (as Django's
locmem e-mail backend records mail). Use the `recorded_jobs` fixture of upscaler/tests/conftest.py."""

from __future__ import annotations

import uuid

from upscaler.jobs.backends.base import JobBackend

PATH = "upscaler.tests.support.jobs.RecordingBackend"


class RecordingBackend(JobBackend):
    name = "recording"
    #: (task name, kwargs) of every enqueued job, in order; reset by the fixture.
    sent: list[tuple[str, dict]] = []
    #: The ids of enqueued result jobs, as the UUIDs the rows carry.
    result_ids: list[uuid.UUID] = []
    #: The submission ids of enqueued webhook deliveries.
    webhook_ids: list[str] = []

    @classmethod
    def reset(cls) -> type[RecordingBackend]:
        cls.sent, cls.result_ids, cls.webhook_ids = [], [], []
        return cls

    def enqueue(self, name: str, kwargs: dict) -> None:
        self.sent.append((name, dict(kwargs)))
        if name == "upscaler.result_process":
            self.result_ids.append(uuid.UUID(str(kwargs["result_id"])))
        elif name == "upscaler.webhook_deliver":
            self.webhook_ids.append(str(kwargs["submission_id"]))
