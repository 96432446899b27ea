"""Creating a submission: validate the upload, settle its model (named, or chosen from the file),
store the original, queue its result."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from upscaler import engine
from upscaler.integrations import engine_provider
from upscaler.models import Submission
from upscaler.services.model_choice import model_choose, model_choose_for_upload, upload_provenance
from upscaler.services.quotas import quota_check, quota_lock
from upscaler.services.result_queue import result_create, result_model_validate, result_output_size_validate

if TYPE_CHECKING:
    from upscaler.engine import SourceImage
    from upscaler.engine.provenance import ModelChoice, Provenance


#: Room for the other fields and any framing beside the largest upload, at the ASGI edge (any
#: request: multipart parts, forms); a JSON body needs far less (JSON_OVERHEAD_BYTES).
REQUEST_OVERHEAD_BYTES = 1024 * 1024
JSON_OVERHEAD_BYTES = 64 * 1024


def upload_request_limit(*, overhead: int = REQUEST_OVERHEAD_BYTES) -> int:
    """The largest request body an upload may need: the file as base64 (4/3 of its bytes, the
    JSON API's form) plus `overhead` for the other fields. The ASGI edge refuses more, the JSON
    parser more than the JSON overhead allows."""
    return settings.UPSCALER_MAX_UPLOAD_BYTES * 4 // 3 + overhead


def submission_create(
    *,
    owner,
    session_key: str | None,
    upload,
    scale: int,
    model_name: str | None = None,
    model_choice_reason: str = "",
    checked: CheckedUpload | None = None,
    output_format: str = "png",
    sha256: str | None = None,
    idempotency_key: str = "",
    idempotency_fingerprint: str = "",
    callback_url: str = "",
    kind: str = Submission.Kind.UPSCALE,
    ground_truth=None,
    credit: dict | None = None,
) -> Submission:
    """Validate and store an upload, create its Submission + queued Result, dispatch on commit.

    `owner` is the user, or None for a guest identified by `session_key` (selectors.request_owner).
    No `model_name`: chosen from the file (upload_check); a caller that chose it gives the
    `model_choice_reason` (benchmarks). `checked` (the caller's upload_check) and `sha256`
    (upload_sha256) are not done twice. Invalid input raises ValidationError naming its field,
    leaving no row and no file; so does a full quota (QuotaExceededError); a second submission
    with the same owner and `idempotency_key` raises IntegrityError. A benchmark (`kind`) carries
    its `ground_truth`; `credit` may set title, credit, licence and source_url (demo photos).
    """
    if owner is None and not session_key:
        raise ValueError("an anonymous submission needs a session key")
    if checked is None:
        checked = upload_check(upload=upload, scale=scale, model_name=model_name,
                               model_choice_reason=model_choice_reason)
    source = checked.source
    submission = Submission(
        width=source.width,
        height=source.height,
        format=source.format,
        sha256=sha256 or upload_sha256(upload),
        size_bytes=upload.size,
        owner=owner,
        session_key="" if owner is not None else session_key,
        created=timezone.now(),
        idempotency_key=idempotency_key,
        idempotency_fingerprint=idempotency_fingerprint if idempotency_key else "",
        callback_url=callback_url,
        kind=kind,
        **(credit or {}),
    )
    # Refuse early, before storing anything; the check that counts is repeated under the lock.
    quota_check(user=owner, session_key=session_key, width=source.width, height=source.height, scale=scale)
    _store_files(submission, upload=upload, ground_truth=ground_truth)
    try:
        _insert(submission, session_key=session_key, checked=checked, scale=scale, output_format=output_format)
    except BaseException:
        _delete_files(submission)
        raise
    return submission


@dataclass(frozen=True)
class CheckedUpload:
    """An upload that passed the checks, and the model that is to run on it."""

    source: SourceImage
    model_name: str
    #: Why the service chose the model; "" when the request named it.
    model_choice_reason: str = ""


def upload_check(*, upload, scale: int, model_name: str | None, model_choice_reason: str = "") -> CheckedUpload:
    """Validate an upload for `scale` and settle its model: the one named (checked first: a bad
    name is reported before the file is read), or, with none, the automatic choice from the
    file itself (services/model_choice.py), made once the engine's reader accepted it. Raises
    ValidationError naming its field."""
    if model_name:
        result_model_validate(model_name=model_name, scale=scale)
    source = _upload_validate(upload, scale=scale)
    if model_name:
        return CheckedUpload(source, model_name, model_choice_reason)
    choice = model_choose_for_upload(upload=upload, scale=scale)
    # The clean model is UPSCALER_DEFAULT_MODEL when set, which may lack this scale.
    result_model_validate(model_name=choice.name, scale=scale)
    return CheckedUpload(source, choice.name, choice.reason)


def upload_sha256(upload) -> str:
    """The hex SHA-256 of an upload's bytes (read in chunks, then rewound)."""
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()


def upload_decode(upload):
    """Decode an upload (torch-free) or raise ValidationError on "image" (code too_large or
    unsupported_image)."""
    try:
        return engine_provider.read_image(upload)
    except engine.ImageTooLargeError as exc:
        raise ValidationError({"image": ValidationError(str(exc), code="too_large")}) from exc
    except engine.EngineError as exc:
        raise ValidationError({"image": ValidationError(str(exc), code="unsupported_image")}) from exc


def upload_size_validate(upload) -> None:
    """ValidationError on "image" (code empty or too_large) unless the upload's size in bytes is
    acceptable: checked before anything reads the bytes (hashing, decoding)."""
    if not upload.size:
        raise ValidationError({"image": ValidationError("The file is empty.", code="empty")})
    if upload.size > settings.UPSCALER_MAX_UPLOAD_BYTES:
        limit_mb = settings.UPSCALER_MAX_UPLOAD_BYTES / (1024 * 1024)
        message = f"The file is larger than {limit_mb:.0f} MB."
        raise ValidationError({"image": ValidationError(message, code="too_large")})


def upload_validate(upload):
    """The decoded upload, if its size in bytes and its format are acceptable; else ValidationError
    on "image" (code empty, too_large or unsupported_image)."""
    upload_size_validate(upload)
    source = upload_decode(upload)
    upload.seek(0)
    return source


def upload_inspect(*, upload, scale: int) -> tuple[Provenance, ModelChoice]:
    """What the file has been through and the model the automatic choice gives it at `scale`,
    before it is submitted (the upload page asks as soon as a file is picked). The file gets
    the checks of submission_create (the output size aside: the page checks it, and it does not
    change the choice); nothing is stored."""
    upload_validate(upload)
    provenance = upload_provenance(upload)
    return provenance, model_choose(provenance=provenance, scale=scale)


def _upload_validate(upload, *, scale: int):
    """The decoded upload, if it is acceptable (upload_validate) and so is its output size."""
    source = upload_validate(upload)
    result_output_size_validate(width=source.width, height=source.height, scale=scale)
    return source


def _insert(submission: Submission, *, session_key: str | None, checked: CheckedUpload, scale: int,
            output_format: str):
    """Insert the row and queue its result, with the owner's quota held (quota_lock) so that two
    requests cannot both fit into the last of it."""
    quota = {"user": submission.owner, "session_key": session_key}
    with transaction.atomic():
        quota_lock(**quota)
        quota_check(**quota, width=submission.width, height=submission.height, scale=scale)
        submission.save(force_insert=True)
        result_create(
            submission=submission, model_name=checked.model_name, model_choice_reason=checked.model_choice_reason,
            scale=scale, output_format=output_format, queued_at=submission.created,
        )


def _store_files(submission: Submission, *, upload, ground_truth) -> None:
    """Store the original (and a benchmark's ground truth) before the row exists; on failure
    nothing stays stored. The names come from upload_to (uploads/<yyyy>/<mm>/<uuid>.<ext>),
    never from the client."""
    submission.original.save("original", upload, save=False)
    try:
        if ground_truth is not None:
            submission.ground_truth.save("ground-truth", ground_truth, save=False)
    except BaseException:
        _delete_files(submission)
        raise


def _delete_files(submission: Submission) -> None:
    submission.original.storage.delete(submission.original.name)
    if submission.ground_truth:
        submission.ground_truth.storage.delete(submission.ground_truth.name)


def submissions_adopt(*, user, session_key: str | None) -> int:
    """At sign-in: what the visitor uploaded as a guest (owned by their session) becomes the
    account's, so that it stays theirs after the session key changes. Returns how many moved."""
    if not session_key or user is None:
        return 0
    with transaction.atomic():
        return Submission.objects.filter(owner__isnull=True, session_key=session_key).update(
            owner=user, session_key=""
        )
