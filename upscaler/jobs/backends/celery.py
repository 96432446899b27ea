"""Celery: the job is sent to the broker by its task name; a worker runs jobs/tasks.py.

Sending by name (not by importing the task) keeps this seam free of the tasks module; the queue,
acks and limits come from the CELERY_* settings, which state the task policy once.
"""

from __future__ import annotations

from celery import current_app

from upscaler.jobs.backends.base import JobBackend


class CeleryBackend(JobBackend):
    name = "celery"

    def enqueue(self, name: str, kwargs: dict) -> None:
        current_app.send_task(name, kwargs=kwargs)
