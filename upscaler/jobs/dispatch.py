"""The one dispatch seam: `enqueue_on_commit(task_name, **ids)` from services.

The backend is the class at the dotted path in settings.UPSCALER_JOB_BACKEND, chosen the way
Django chooses a session engine: Celery (`backends.celery`, production), a thread pool inside the
web process (`backends.thread`, embedded mode: its jobs notify browsers through the in-memory
channel layer) or inline (`backends.inline`, tests and commands). Arguments are ids and plain
values only: a job must read its rows after the commit that made them.
"""

from __future__ import annotations

import threading
from functools import partial

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.db import transaction
from django.dispatch import receiver
from django.utils.module_loading import import_string

from upscaler.jobs.backends.base import JobBackend
from upscaler.jobs.registry import job_get

_backend: JobBackend | None = None
_backend_lock = threading.Lock()


def get_backend() -> JobBackend:
    """The configured backend, made once per process (it may own thread pools)."""
    global _backend
    with _backend_lock:
        if _backend is None:
            path = settings.UPSCALER_JOB_BACKEND
            try:
                backend_class = import_string(path)
            except ImportError as exc:
                raise ImproperlyConfigured(f"UPSCALER_JOB_BACKEND {path!r} cannot be imported: {exc}") from exc
            if not (isinstance(backend_class, type) and issubclass(backend_class, JobBackend)):
                raise ImproperlyConfigured(f"UPSCALER_JOB_BACKEND {path!r} is not a JobBackend")
            _backend = backend_class()
        return _backend


def enqueue(name: str, **kwargs) -> None:
    """Hand job `name` to the backend now. Services call `enqueue_on_commit` instead."""
    job_get(name)  # an unknown name fails here, in the caller, not later in a worker
    get_backend().enqueue(name, kwargs)


def enqueue_on_commit(name: str, **kwargs) -> None:
    """Enqueue job `name` once the current transaction commits (at once outside one)."""
    job_get(name)
    transaction.on_commit(partial(enqueue, name, **kwargs))


def shutdown(*, wait: bool = False) -> None:
    """Stop the backend's in-process workers, if it has any (server shutdown)."""
    global _backend
    with _backend_lock:
        backend, _backend = _backend, None
    if backend is not None:
        backend.shutdown(wait=wait)


@receiver(setting_changed)
def _forget_backend(*, setting, **kwargs) -> None:
    if setting == "UPSCALER_JOB_BACKEND":
        shutdown(wait=False)
