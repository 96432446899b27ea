"""The quota under concurrency, on PostgreSQL: two requests of one owner racing for the last room
in the quota cannot both get in (services/quotas.py quota_lock)."""

from __future__ import annotations

import contextlib
import threading

import pytest
from django.db import connection

from upscaler import selectors
from upscaler.models import Result
from upscaler.services.quotas import QuotaExceededError
from upscaler.services.submissions import submission_create
from upscaler.tests.conftest import make_image_bytes, stored_files

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_two_racing_uploads_cannot_both_take_the_last_room(infrastructure, user, make_upload, media_root,
                                                           settings, monkeypatch, recorded_jobs):
    # One 100×100 image at x2 is 0.04 MP of output: one fits in 0.06 MP, two do not.
    settings.UPSCALER_QUOTA_MEGAPIXELS = 0.06
    # Hold each request right after its locked check, until the other has checked too (or 3 s):
    # without the lock both see an empty quota here and both insert.
    both_checked = threading.Barrier(2, timeout=3)
    real_usage = selectors.owner_output_pixels_since

    def usage_then_wait(**kwargs):
        usage = real_usage(**kwargs)
        if connection.in_atomic_block:
            with contextlib.suppress(threading.BrokenBarrierError):
                both_checked.wait()
        return usage

    monkeypatch.setattr(selectors, "owner_output_pixels_since", usage_then_wait)
    outcomes: list[str] = []

    def submit():
        try:
            submission_create(owner=user, session_key=None, scale=2, model_name="bicubic",
                              upload=make_upload(make_image_bytes(100, 100)))
            outcomes.append("created")
        except QuotaExceededError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["created", "refused"]
    assert Result.objects.count() == 1
    # The refused request's stored original was removed with it.
    assert len([f for f in stored_files(media_root) if f.startswith("uploads/")]) == 1
