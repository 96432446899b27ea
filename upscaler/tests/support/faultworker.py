"""A real Celery worker with faults injected, for the fault tests (upscaler/tests/integration/test_faults.py):
`python -m upscaler.tests.support.faultworker worker -Q inference ...` takes the same arguments as `celery -A srsite`.

The patches are made in the main process before the pool forks, so every pool process has them:
- SRSITE_FAULT_TILE_SECONDS: the real engine runs in tiles of SRSITE_FAULT_TILE_SIZE pixels and
  sleeps this long after each one, so that a job is slow enough to be interrupted, and observable
  through its progress.
- SRSITE_FAULT_STORAGE_FAILURES=n: the first n result writes put half of the file on disk and then
  fail as a full disk would (ENOSPC), through Django's real FileSystemStorage.
"""

from __future__ import annotations

import errno
import os
import sys
import time

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "srsite.settings.production")
django.setup()

from django.core.files.base import ContentFile  # noqa: E402
from django.core.files.storage import FileSystemStorage  # noqa: E402

from srsite.celery import app  # noqa: E402
from upscaler.integrations import engine_provider  # noqa: E402


class _SlowUpscaler:
    def __init__(self, inner, delay: float):
        self.inner, self.delay = inner, delay

    def __call__(self, source, *, progress=None):
        def slow_progress(done: int, total: int) -> None:
            time.sleep(self.delay)
            if progress is not None:
                progress(done, total)

        return self.inner(source, progress=slow_progress)


def _slow_tiles(delay: float, tile_size: int) -> None:
    real_get = engine_provider.get_upscaler

    def get_upscaler(name, scale):
        upscaler = real_get(name, scale)
        upscaler.tile_size = tile_size  # bicubic runs untiled by default
        return _SlowUpscaler(upscaler, delay)

    engine_provider.get_upscaler = get_upscaler


def _failing_storage(failures: int) -> None:
    real_save = FileSystemStorage._save
    left = [failures]

    def _save(storage, name, content):
        if not name.startswith("results/") or left[0] <= 0:
            return real_save(storage, name, content)
        left[0] -= 1
        data = content.read()
        real_save(storage, name, ContentFile(data[: len(data) // 2]))  # the half that fits
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    FileSystemStorage._save = _save


if os.environ.get("SRSITE_FAULT_TILE_SECONDS"):
    _slow_tiles(float(os.environ["SRSITE_FAULT_TILE_SECONDS"]), int(os.environ.get("SRSITE_FAULT_TILE_SIZE", "32")))
if os.environ.get("SRSITE_FAULT_STORAGE_FAILURES"):
    _failing_storage(int(os.environ["SRSITE_FAULT_STORAGE_FAILURES"]))

if __name__ == "__main__":
    app.worker_main(sys.argv[1:])
