"""callback_url: a signed webhook on completion, retried with exponential backoff (job-runner
loop and Celery task), refused for private addresses (also at delivery time)."""

from __future__ import annotations

import hashlib
import hmac
import json
import time

import pytest

from upscaler.jobs import registry, tasks
from upscaler.models import Submission
from upscaler.services import webhooks
from upscaler.tests.apis.conftest import Route
from upscaler.tests.apis.test_submissions import URL, assert_error, nothing_stored, upload

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def fast_retries(settings, monkeypatch):
    settings.UPSCALER_WEBHOOK_BACKOFF_SECONDS = 0.01
    settings.UPSCALER_WEBHOOK_MAX_ATTEMPTS = 4
    sleeps = []
    real_sleep = time.sleep
    monkeypatch.setattr(registry.time, "sleep", lambda s: (sleeps.append(s), real_sleep(s)))
    return sleeps


def verify(hit, secret: str) -> dict:
    parts = dict(item.split("=", 1) for item in hit.headers["X-Srsite-Signature"].split(","))
    expected = hmac.new(secret.encode(), parts["t"].encode() + b"." + hit.body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(parts["v1"], expected)
    assert abs(int(parts["t"]) - time.time()) < 60
    return json.loads(hit.body)


def test_signed_webhook_on_completion(api, user, local_server, allow_loopback, fast_retries):
    local_server.routes["/hook"] = Route(status=204)
    response = upload(api, scale=2, callback_url=local_server.url("/hook"))
    assert response.status_code == 202, response.content
    (hit,) = local_server.hits
    assert hit.method == "POST" and hit.headers["Content-Type"] == "application/json"
    assert hit.headers["X-Srsite-Event"] == "submission.finished"
    payload = verify(hit, webhooks.webhook_secret(user=user))
    assert payload["submission"] == response.json()["id"]
    assert [r["status"] for r in payload["results"]] == ["succeeded"] and payload["results"][0]["final"]
    # A forged body does not verify.
    with pytest.raises(AssertionError):
        verify(type(hit)(hit.method, hit.path, hit.headers, hit.body + b" "), webhooks.webhook_secret(user=user))
    assert fast_retries == []


def test_failed_deliveries_are_retried_with_exponential_backoff(api, local_server, allow_loopback, fast_retries):
    local_server.routes["/hook"] = Route(status=200, first_statuses=[500, 503])
    upload(api, scale=2, callback_url=local_server.url("/hook"))
    assert len(local_server.hits) == 3
    assert [h.headers["X-Srsite-Delivery"] for h in local_server.hits] == ["1", "2", "3"]
    assert fast_retries == [0.01, 0.02]


def test_gives_up_after_max_attempts(api, local_server, allow_loopback, fast_retries):
    local_server.routes["/hook"] = Route(status=500)
    upload(api, scale=2, callback_url=local_server.url("/hook"))
    assert len(local_server.hits) == 4 and fast_retries == [0.01, 0.02, 0.04]


def test_celery_task_retries_with_backoff(api, local_server, allow_loopback, settings, monkeypatch, recorded_jobs):
    settings.UPSCALER_WEBHOOK_BACKOFF_SECONDS = 3
    local_server.routes["/hook"] = Route(status=200, first_statuses=[500, 500])
    sid = upload(api, scale=2, callback_url=local_server.url("/hook")).json()["id"]
    countdowns = []
    real_retry = tasks.webhook_deliver_task.retry

    def retry(*args, countdown=None, **kwargs):
        countdowns.append(countdown)
        return real_retry(*args, countdown=0, **kwargs)

    monkeypatch.setattr(tasks.webhook_deliver_task, "retry", retry)
    outcome = tasks.webhook_deliver_task.apply(args=[sid])
    assert outcome.successful(), outcome.traceback
    assert countdowns == [3, 6] and len(local_server.hits) == 3


def test_private_callback_url_is_refused_at_submission(api, local_server, media_root):
    assert_error(upload(api, scale=2, callback_url=local_server.url("/hook")), 400, "bad_callback_url", "callback_url")
    assert_error(upload(api, scale=2, callback_url="http://169.254.169.254/x"), 400, "bad_callback_url")
    assert nothing_stored(media_root) and local_server.hits == []


def test_delivery_rechecks_the_address(
    api, local_server, allow_loopback, settings, fast_retries, monkeypatch, recorded_jobs
):
    """Accepted while allowed; when the address is no longer allowed, nothing is sent."""
    local_server.routes["/hook"] = Route(status=200)
    sid = upload(api, scale=2, callback_url=local_server.url("/hook")).json()["id"]
    settings.UPSCALER_URL_FETCH_ALLOWLIST = []
    assert webhooks.webhook_deliver(submission_id=sid, attempt=1) is False
    assert local_server.hits == []


def test_webhook_does_not_follow_redirects(api, local_server, allow_loopback, fast_retries):
    local_server.routes["/hook"] = Route(status=307, headers={"Location": "http://10.0.0.1/"})
    upload(api, scale=2, callback_url=local_server.url("/hook"))
    assert {h.path for h in local_server.hits} == {"/hook"}


def test_no_webhook_without_callback(api, local_server, monkeypatch, recorded_jobs):
    calls = recorded_jobs.webhook_ids
    upload(api, scale=2)
    assert calls == [] and Submission.objects.count() == 1


def test_webhook_for_a_deleted_submission_is_dropped(api, local_server, allow_loopback, monkeypatch, recorded_jobs):
    local_server.routes["/hook"] = Route(status=200)
    sid = upload(api, scale=2, callback_url=local_server.url("/hook")).json()["id"]
    assert api.delete(f"{URL}{sid}/").status_code == 204
    assert webhooks.webhook_deliver(submission_id=sid, attempt=1) is True
    assert local_server.hits == []
