"""What API clients do to whole submissions: submit an image or a URL (idempotent, deduplicated),
run one again with other options, cancel it. Deleting is services/deletion.py, shared with the
review admin and retention."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction

from upscaler import selectors
from upscaler.integrations import url_fetch
from upscaler.models import Result, Submission
from upscaler.services.model_choice import model_choose_for_stored
from upscaler.services.quotas import quota_check, quota_lock
from upscaler.services.result_queue import result_cancel, result_create
from upscaler.services.submissions import (
    CheckedUpload,
    submission_create,
    upload_check,
    upload_sha256,
    upload_size_validate,
)


class IdempotencyKeyReusedError(ValidationError):
    """The Idempotency-Key was already used for a different request by the same owner."""

    def __init__(self, key: str):
        super().__init__(
            f"The Idempotency-Key {key!r} was already used for a different request "
            "(another image, URL, scale, model, format or callback); use a new key.",
            code="idempotency_key_reused",
        )


@dataclass
class SubmitOutcome:
    submission: Submission
    created: bool
    # Why an existing submission was returned: "idempotency_key" or "duplicate".
    reused: str = ""


@dataclass(frozen=True)
class _SubmitRequest:
    """One submit request: who asks, and for what (the image aside)."""

    owner: object  # a user, or None for an anonymous client (identified by session_key)
    session_key: str | None
    scale: int
    model_name: str | None  # None: chosen from the file at creation (services/model_choice.py)
    output_format: str
    idempotency_key: str
    callback_url: str


def callback_url_validate(*, url: str) -> None:
    """A callback must be reachable on a public address now (it is checked again on delivery)."""
    try:
        url_fetch.check_url(url)
    except url_fetch.UrlFetchError as exc:
        error = ValidationError(f"callback_url: {exc}", code="bad_callback_url")
        raise ValidationError({"callback_url": error}) from exc


def request_fingerprint(
    *, source: str, scale: int, model_name: str | None, output_format: str, callback_url: str
) -> str:
    """A hash of what a submit request asks for; `source` is "sha256:<hex>" or "url:<url>".
    The model is as requested (none = chosen from the file), so a retry matches whatever the
    choice is."""
    fields = [source, str(scale), model_name or "", output_format, callback_url]
    return hashlib.sha256(json.dumps(fields).encode()).hexdigest()


def submission_submit(
    *,
    owner,
    session_key: str | None,
    upload,
    scale: int,
    model_name: str | None = None,
    output_format: str = "png",
    idempotency_key: str = "",
    callback_url: str = "",
) -> SubmitOutcome:
    """Create a submission of an uploaded image, unless the same owner already made it.

    - the same non-empty `idempotency_key` (enforced by a unique constraint, so two racing
      requests cannot both create) returns the first submission if the request is the same
      (see `request_fingerprint`) and raises IdempotencyKeyReusedError if it is not;
    - a succeeded result of the same image bytes, model, scale and format returns that
      result's submission: nothing is stored or recomputed.

    `owner` is a user or None (selectors.request_owner). Invalid input raises ValidationError
    naming its field.
    """
    request = _SubmitRequest(owner, session_key, scale, model_name, output_format, idempotency_key, callback_url)
    upload_size_validate(upload)  # before the hash reads every byte of it
    sha256 = upload_sha256(upload)  # once: the fingerprint, the reuse lookup and the row share it
    return _submit(request, source=f"sha256:{sha256}", image=lambda: (upload, sha256))


def submission_submit_url(
    *,
    owner,
    session_key: str | None,
    url: str,
    scale: int,
    model_name: str | None = None,
    output_format: str = "png",
    idempotency_key: str = "",
    callback_url: str = "",
) -> SubmitOutcome:
    """Fetch `url` (public addresses only, size and time limits) and submit it, as
    `submission_submit` does. The URL, not the bytes it serves, identifies the request: a retry
    with the same Idempotency-Key is answered without fetching again."""
    request = _SubmitRequest(owner, session_key, scale, model_name, output_format, idempotency_key, callback_url)

    def fetch():
        try:
            data, name = url_fetch.fetch_image(url)
        except url_fetch.UrlFetchError as exc:
            error = ValidationError(str(exc), code=f"url_{exc.code}")
            raise ValidationError({"image_url": error}) from exc
        upload = ContentFile(data, name=name)
        return upload, upload_sha256(upload)

    return _submit(request, source=f"url:{url}", image=fetch)


def submission_rerun(
    *, submission: Submission, owner, session_key: str | None, scale: int, model_name: str | None,
    output_format: str = "png",
) -> tuple[Result, bool]:
    """Queue another result of one stored submission (the API's POST .../results/). An identical
    result that is queued, running or succeeded is returned instead (created=False). `owner` and
    `session_key` are the requester's (selectors.request_owner), whose quota pays for it. The
    review admin's bulk re-run is reviews.submissions_rerun. With no `model_name`, the model is
    chosen from the stored original, as at upload; a named one is never replaced."""
    reason = ""
    if not model_name:
        choice = model_choose_for_stored(submission=submission, scale=scale)
        model_name, reason = choice.name, choice.reason
    existing = (
        Result.objects.filter(
            submission=submission, model_name=model_name, scale=scale, output_format=output_format
        )
        .exclude(status__in=[Result.Status.FAILED, Result.Status.CANCELLED])
        .first()
    )
    if existing is not None:
        return existing, False
    with transaction.atomic():
        quota_lock(user=owner, session_key=session_key)
        quota_check(
            user=owner, session_key=session_key, width=submission.width, height=submission.height,
            scale=scale,
        )
        result = result_create(
            submission=submission, model_name=model_name, model_choice_reason=reason, scale=scale,
            output_format=output_format,
        )
        # The gallery shows a submission's newest result: a new one has not been reviewed,
        # so a published submission goes back to the review queue.
        Submission.objects.filter(
            pk=submission.pk,
            review_state__in=Submission.PUBLIC_REVIEW_STATES,
        ).update(review_state=Submission.ReviewState.PENDING, reviewed_at=None, reviewed_by=None)
    return result, True


def submission_cancel(*, submission: Submission) -> int:
    """Cancel every queued or running result of the submission; returns how many."""
    ids = Result.objects.filter(
        submission=submission, status__in=[Result.Status.QUEUED, Result.Status.RUNNING]
    ).values_list("id", flat=True)
    return sum(result_cancel(result_id=result_id) for result_id in list(ids))


def _submit(request: _SubmitRequest, *, source: str, image: Callable[[], tuple]) -> SubmitOutcome:
    """The submit path both doors share. `image()` gives (upload, sha256); it is only called
    when the idempotency key does not answer the request already."""
    fingerprint = request_fingerprint(
        source=source, scale=request.scale, model_name=request.model_name,
        output_format=request.output_format, callback_url=request.callback_url,
    )
    existing = selectors.submission_get_by_idempotency_key(owner=request.owner, key=request.idempotency_key)
    if existing is not None:
        return _same_request(existing, request.idempotency_key, fingerprint)
    upload, sha256 = image()
    if request.callback_url and request.owner is None:
        error = ValidationError("callback_url needs a signed-in user (it is signed with their secret).",
                                code="bad_callback_url")
        raise ValidationError({"callback_url": error})
    if request.callback_url:
        callback_url_validate(url=request.callback_url)
    # The model is settled before the lookup: with none named, it is chosen from the file, which
    # must then have passed the reader's checks. submission_create takes the check as it is.
    checked = upload_check(upload=upload, scale=request.scale, model_name=request.model_name)
    reusable = selectors.result_find_reusable(
        owner=request.owner, sha256=sha256, model_name=checked.model_name, scale=request.scale,
        output_format=request.output_format,
    )
    if reusable is not None:
        return SubmitOutcome(reusable.submission, created=False, reused="duplicate")
    return _create(request, upload=upload, sha256=sha256, checked=checked, fingerprint=fingerprint)


def _create(request: _SubmitRequest, *, upload, sha256: str, checked: CheckedUpload, fingerprint: str) -> SubmitOutcome:
    try:
        submission = submission_create(
            owner=request.owner,
            session_key=request.session_key,
            upload=upload,
            sha256=sha256,
            scale=request.scale,
            checked=checked,
            output_format=request.output_format,
            # Keys belong to signed-in owners only (an anonymous client has no key space).
            idempotency_key=request.idempotency_key if request.owner is not None else "",
            idempotency_fingerprint=fingerprint,
            callback_url=request.callback_url,
        )
    except IntegrityError:
        # Lost a race with a request carrying the same key; submission_create left no file.
        existing = selectors.submission_get_by_idempotency_key(owner=request.owner, key=request.idempotency_key)
        if existing is None:
            raise
        return _same_request(existing, request.idempotency_key, fingerprint)
    return SubmitOutcome(submission, created=True)


def _same_request(existing: Submission, key: str, fingerprint: str) -> SubmitOutcome:
    # Submissions made before fingerprints were recorded have none: they keep the old answer.
    if existing.idempotency_fingerprint and existing.idempotency_fingerprint != fingerprint:
        raise IdempotencyKeyReusedError(key)
    return SubmitOutcome(existing, created=False, reused="idempotency_key")
