"""Throttling (429 + Retry-After, per user) and the output-megapixel quota."""

from __future__ import annotations

import pytest

from upscaler.models import Result
from upscaler.tests.apis.test_submissions import URL, assert_error, upload
from upscaler.tests.conftest import make_image_bytes

pytestmark = pytest.mark.django_db(transaction=True)


def test_user_throttle_answers_429_with_retry_after(api, bob_api, settings):
    settings.UPSCALER_API_THROTTLE_RATES = {**settings.UPSCALER_API_THROTTLE_RATES, "user": "3/min"}
    for _ in range(3):
        assert api.get(URL).status_code == 200
    response = api.get(URL)
    error = assert_error(response, 429, "throttled")
    assert 0 < int(response["Retry-After"]) <= 60 and "retry in" in error["message"]
    assert bob_api.get(URL).status_code == 200  # per user


def test_submit_throttle_counts_only_job_creation(api, settings):
    settings.UPSCALER_API_THROTTLE_RATES = {**settings.UPSCALER_API_THROTTLE_RATES, "submit": "2/hour"}
    assert upload(api, scale=2).status_code == 202
    assert upload(api, make_image_bytes(3, 3), scale=2).status_code == 202
    response = upload(api, make_image_bytes(4, 4), scale=2)
    assert_error(response, 429, "throttled")
    assert int(response["Retry-After"]) > 60
    assert api.get(URL).status_code == 200


def test_quota_in_output_megapixels(api, bob_api, settings, media_root):
    # 9x5 at x2 = 180 output pixels; the quota allows two of them.
    settings.UPSCALER_QUOTA_MEGAPIXELS = 400 / 1e6
    first = upload(api, scale=2).json()
    assert upload(api, make_image_bytes(5, 9), scale=2).status_code == 202
    response = upload(api, make_image_bytes(6, 6), scale=2)
    error = assert_error(response, 429, "quota_exceeded")
    assert "megapixels" in error["message"] and int(response["Retry-After"]) > 0
    assert Result.objects.count() == 2
    # A re-run counts too; other users have their own quota.
    assert_error(api.post(f"{URL}{first['id']}/results/", {"scale": 3}, format="json"), 429, "quota_exceeded")
    assert upload(bob_api, scale=2).status_code == 202


def test_failed_and_cancelled_results_count_once_they_started_work(api, settings):
    # The review's M8: cancelling at 99 % (or timing out) used to hand the work back for free.
    settings.UPSCALER_QUOTA_MEGAPIXELS = 200 / 1e6
    assert upload(api, scale=2).status_code == 202  # ran (inline): it started work
    assert_error(upload(api, make_image_bytes(5, 9), scale=2), 429, "quota_exceeded")
    Result.objects.update(status="cancelled", output="", output_width=None, output_height=None)
    assert_error(upload(api, make_image_bytes(5, 9), scale=2), 429, "quota_exceeded")
    # One that never started (cancelled while queued, or failed before its claim) costs nothing.
    Result.objects.update(status="failed", started_at=None)
    assert upload(api, make_image_bytes(5, 9), scale=2).status_code == 202


def test_quota_error_shows_on_the_upload_page(client, user, settings):
    settings.UPSCALER_QUOTA_MEGAPIXELS = 100 / 1e6
    import io

    client.force_login(user)
    fh = io.BytesIO(make_image_bytes(9, 5))
    fh.name = "a.png"
    response = client.post("/", {"image": fh, "scale": 2, "model": "bicubic"})
    assert response.status_code == 400 and "Quota exceeded" in response.content.decode()
