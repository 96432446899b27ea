"""Creating a submission: validate the upload, store the original, queue its result."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from upscaler import engine
from upscaler.integrations import engine_provider
from upscaler.models import Submission
from upscaler.services.quotas import quota_check, quota_lock
from upscaler.services.results import result_create, result_model_validate, result_output_size_validate


def submission_create(
    *,
    owner,
    session_key: str | None,
    upload,
    scale: int,
    model_name: str,
    output_format: str = "png",
    idempotency_key: str = "",
    idempotency_fingerprint: str = "",
    callback_url: str = "",
    kind: str = Submission.Kind.UPSCALE,
    ground_truth=None,
    credit: dict | None = None,
) -> Submission:
    """Validate and store an upload, create its Submission + queued Result, dispatch on commit.

    `owner` is the user (None or anonymous for a guest, who is then identified by
    `session_key`). Invalid input raises django ValidationError (with a code) and leaves
    no row and no file; so does a full quota (QuotaExceededError). A second submission with
    the same owner and non-empty `idempotency_key` raises IntegrityError (and leaves no file).
    A benchmark (`kind`) carries its `ground_truth` file (see services/benchmarks.py);
    `credit` may set title, credit, licence and source_url (published demo photos).
    """
    if owner is not None and not owner.is_authenticated:
        owner = None
    if owner is None and not session_key:
        raise ValueError("an anonymous submission needs a session key")

    result_model_validate(model_name=model_name, scale=scale)

    size = upload.size or 0
    if size == 0:
        raise ValidationError("The file is empty.", code="empty")
    if size > settings.UPSCALER_MAX_UPLOAD_BYTES:
        limit_mb = settings.UPSCALER_MAX_UPLOAD_BYTES / (1024 * 1024)
        raise ValidationError(f"The file is larger than {limit_mb:.0f} MB.", code="too_large")

    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    source = upload_decode(upload)
    upload.seek(0)

    result_output_size_validate(width=source.width, height=source.height, scale=scale)
    # Refuse early, before storing anything; the check that counts is repeated under the lock.
    quota = {"user": owner, "session_key": session_key}
    quota_check(**quota, width=source.width, height=source.height, scale=scale)

    now = timezone.now()
    submission = Submission(
        width=source.width,
        height=source.height,
        format=source.format,
        sha256=digest.hexdigest(),
        size_bytes=size,
        owner=owner,
        session_key="" if owner is not None else session_key,
        created=now,
        idempotency_key=idempotency_key,
        idempotency_fingerprint=idempotency_fingerprint if idempotency_key else "",
        callback_url=callback_url,
        kind=kind,
        **(credit or {}),
    )
    # The stored name comes from upload_to (uploads/<yyyy>/<mm>/<uuid>.<ext>), not the client.
    submission.original.save("original", upload, save=False)
    try:
        if ground_truth is not None:
            submission.ground_truth.save("ground-truth", ground_truth, save=False)
        with transaction.atomic():
            quota_lock(**quota)
            quota_check(**quota, width=source.width, height=source.height, scale=scale)
            submission.save(force_insert=True)
            result_create(
                submission=submission,
                model_name=model_name,
                scale=scale,
                output_format=output_format,
                queued_at=now,
            )
    except BaseException:
        submission.original.storage.delete(submission.original.name)
        if submission.ground_truth:
            submission.ground_truth.storage.delete(submission.ground_truth.name)
        raise
    return submission


def upload_decode(upload):
    """Decode an upload (torch-free) or raise ValidationError coded too_large/unsupported_image."""
    try:
        return engine_provider.read_image(upload)
    except engine.ImageTooLargeError as exc:
        raise ValidationError(str(exc), code="too_large") from exc
    except engine.EngineError as exc:
        raise ValidationError(str(exc), code="unsupported_image") from exc
