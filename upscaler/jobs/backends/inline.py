"""Inline: the job runs at once in the thread that enqueued it (after its commit). For tests and
management commands, where waiting for the result is the point."""

from __future__ import annotations

from upscaler.jobs.backends.base import JobBackend
from upscaler.jobs.registry import job_run


class InlineBackend(JobBackend):
    name = "inline"
    runs_in_process = True

    def enqueue(self, name: str, kwargs: dict) -> None:
        job_run(name, kwargs)
