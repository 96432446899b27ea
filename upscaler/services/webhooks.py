"""Completion webhooks: a signed POST to a submission's callback_url once all its results are done.

Body: {"type": "submission.finished", "submission": "<uuid>", "results": [<result events>]},
each result event in notifications' one schema (URLs made absolute with UPSCALER_PUBLIC_URL
when it is set). Headers:

    X-Srsite-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>
    X-Srsite-Event: submission.finished
    X-Srsite-Delivery: <attempt number, 1-based>

The secret is per user, derived from SECRET_KEY (shown on the API tokens page), so it needs no
storage; receivers should reject timestamps older than a few minutes. Delivery goes through
url_fetch (public addresses only, no redirects); retries follow `webhook_retry_in`, whichever job
backend runs them (jobs/registry.py in this process, jobs/tasks.py on Celery workers).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time

from django.conf import settings
from django.utils.crypto import salted_hmac

from upscaler import selectors
from upscaler.integrations import url_fetch
from upscaler.models import Submission

logger = logging.getLogger(__name__)

EVENT = "submission.finished"
SIGNATURE_HEADER = "X-Srsite-Signature"
# Answers from the receiver are read up to this size and ignored.
MAX_RESPONSE_BYTES = 64 * 1024


def webhook_secret(*, user) -> str:
    """The signing secret of `user`'s webhooks (stable while SECRET_KEY is)."""
    return "whsec_" + salted_hmac("srsite.webhook", str(user.pk), algorithm="sha256").hexdigest()


def webhook_sign(*, secret: str, body: bytes, timestamp: int) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def webhook_payload(*, submission: Submission) -> dict:
    events = selectors.submission_events(submission_id=submission.id)
    base = settings.UPSCALER_PUBLIC_URL.rstrip("/")
    for event in events:
        for key in ("output_url", "reference_url"):
            if event.get(key) and base:
                event[key] = base + event[key]
    return {"type": EVENT, "submission": str(submission.id), "results": events}


def webhook_deliver(*, submission_id, attempt: int) -> bool:
    """One delivery attempt. True when done (delivered, or nothing to deliver any more)."""
    submission = Submission.objects.select_related("owner").filter(pk=submission_id).first()
    if submission is None or not submission.callback_url or submission.owner is None:
        return True  # deleted meanwhile: nobody to tell
    body = json.dumps(webhook_payload(submission=submission), separators=(",", ":")).encode()
    signature = webhook_sign(
        secret=webhook_secret(user=submission.owner), body=body, timestamp=int(time.time())
    )
    try:
        response = url_fetch.request(
            "POST",
            submission.callback_url,
            body=body,
            headers={
                "Content-Type": "application/json",
                SIGNATURE_HEADER: signature,
                "X-Srsite-Event": EVENT,
                "X-Srsite-Delivery": str(attempt),
            },
            max_bytes=MAX_RESPONSE_BYTES,
            timeout=settings.UPSCALER_WEBHOOK_TIMEOUT,
            total_timeout=settings.UPSCALER_WEBHOOK_TIMEOUT,
            follow_redirects=False,
        )
    except url_fetch.UrlFetchError as exc:
        logger.warning("webhook of %s, attempt %d: %s", submission_id, attempt, exc)
        return False
    if 200 <= response.status < 300:
        logger.info("webhook of %s delivered (attempt %d)", submission_id, attempt)
        return True
    logger.warning("webhook of %s, attempt %d: HTTP %d", submission_id, attempt, response.status)
    return False


def webhook_backoff(*, attempt: int) -> float:
    """Seconds to wait after failed attempt `attempt` (1-based): base, 2*base, 4*base..."""
    return settings.UPSCALER_WEBHOOK_BACKOFF_SECONDS * 2 ** (attempt - 1)


def webhook_retry_in(*, attempt: int) -> float | None:
    """After failed attempt `attempt`: seconds until the next one, or None when all
    UPSCALER_WEBHOOK_MAX_ATTEMPTS are spent. The one retry policy of webhooks."""
    if attempt >= settings.UPSCALER_WEBHOOK_MAX_ATTEMPTS:
        return None
    return webhook_backoff(attempt=attempt)
