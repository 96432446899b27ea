"""What API clients do to whole submissions: submit (idempotent, deduplicated), re-run, cancel, delete."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from upscaler import selectors
from upscaler.integrations import engine_provider, url_fetch
from upscaler.models import Result, Submission
from upscaler.services import reviews
from upscaler.services.quotas import quota_check, quota_lock
from upscaler.services.results import result_cancel, result_create
from upscaler.services.submissions import submission_create


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


def model_name_default(*, scale: int) -> str:
    return engine_provider.default_model_name(scale)


def callback_url_validate(*, url: str) -> None:
    """A callback must be reachable on a public address now (it is checked again on delivery)."""
    try:
        url_fetch.check_url(url)
    except url_fetch.UrlFetchError as exc:
        raise ValidationError(f"callback_url: {exc}", code="bad_callback_url") from exc


def request_fingerprint(
    *, source: str, scale: int, model_name: str | None, output_format: str, callback_url: str
) -> str:
    """A hash of what a submit request asks for; `source` is "sha256:<hex>" or "url:<url>".
    The model is as requested (none = the default), so a retry matches whatever the default is."""
    fields = [source, str(scale), model_name or "", output_format, callback_url]
    return hashlib.sha256(json.dumps(fields).encode()).hexdigest()


def _same_request(existing: Submission, key: str, fingerprint: str) -> SubmitOutcome:
    # Submissions made before fingerprints were recorded have none: they keep the old answer.
    if existing.idempotency_fingerprint and existing.idempotency_fingerprint != fingerprint:
        raise IdempotencyKeyReusedError(key)
    return SubmitOutcome(existing, created=False, reused="idempotency_key")


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
    fingerprint: str | None = None,
) -> SubmitOutcome:
    """Create a submission, unless the same owner already made it.

    - the same non-empty `idempotency_key` (enforced by a unique constraint, so two racing
      requests cannot both create) returns the first submission if the request is the same
      (see `request_fingerprint`; `fingerprint` overrides it, e.g. for a fetched URL) and
      raises IdempotencyKeyReusedError if it is not;
    - a succeeded result of the same image bytes, model, scale and format returns that
      result's submission: nothing is stored or recomputed.
    """
    if owner is not None and not owner.is_authenticated:
        owner = None
    if callback_url and owner is None:
        raise ValidationError("callback_url needs a signed-in user (it is signed with their secret).",
                              code="bad_callback_url")
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    fingerprint = fingerprint or request_fingerprint(
        source=f"sha256:{digest.hexdigest()}", scale=scale, model_name=model_name,
        output_format=output_format, callback_url=callback_url,
    )
    existing = selectors.submission_get_by_idempotency_key(owner=owner, key=idempotency_key)
    if existing is not None:
        return _same_request(existing, idempotency_key, fingerprint)

    model_name = model_name or model_name_default(scale=scale)
    if callback_url:
        callback_url_validate(url=callback_url)
    reusable = selectors.result_find_reusable(
        owner=owner,
        sha256=digest.hexdigest(),
        model_name=model_name,
        scale=scale,
        output_format=output_format,
    )
    if reusable is not None:
        return SubmitOutcome(reusable.submission, created=False, reused="duplicate")

    try:
        submission = submission_create(
            owner=owner,
            session_key=session_key,
            upload=upload,
            scale=scale,
            model_name=model_name,
            output_format=output_format,
            idempotency_key=idempotency_key if owner is not None else "",
            idempotency_fingerprint=fingerprint,
            callback_url=callback_url,
        )
    except IntegrityError:
        # Lost a race with a request carrying the same key; submission_create left no file.
        existing = selectors.submission_get_by_idempotency_key(owner=owner, key=idempotency_key)
        if existing is None:
            raise
        return _same_request(existing, idempotency_key, fingerprint)
    return SubmitOutcome(submission, created=True)


def submission_submit_url(*, url: str, **kwargs) -> SubmitOutcome:
    """Fetch `url` (public addresses only, size and time limits) and submit it."""
    from django.core.files.base import ContentFile

    # The URL, not the bytes it serves, identifies the request: a retry is not fetched again.
    fingerprint = request_fingerprint(
        source=f"url:{url}", scale=kwargs["scale"], model_name=kwargs.get("model_name"),
        output_format=kwargs.get("output_format", "png"), callback_url=kwargs.get("callback_url", ""),
    )
    key = kwargs.get("idempotency_key", "")
    existing = selectors.submission_get_by_idempotency_key(owner=kwargs.get("owner"), key=key)
    if existing is not None:
        return _same_request(existing, key, fingerprint)
    try:
        data, name = url_fetch.fetch_image(url)
    except url_fetch.UrlFetchError as exc:
        raise ValidationError(str(exc), code=f"url_{exc.code}") from exc
    return submission_submit(upload=ContentFile(data, name=name), fingerprint=fingerprint, **kwargs)


def submission_rerun(
    *, submission: Submission, user, session_key: str | None, scale: int, model_name: str | None,
    output_format: str = "png",
) -> tuple[Result, bool]:
    """Queue another result of a stored submission. An identical result that is queued,
    running or succeeded is returned instead (created=False)."""
    model_name = model_name or model_name_default(scale=scale)
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
        quota_lock(user=user, session_key=session_key)
        quota_check(
            user=user, session_key=session_key, width=submission.width, height=submission.height,
            scale=scale,
        )
        result = result_create(
            submission=submission, model_name=model_name, scale=scale, output_format=output_format
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


def submission_delete(*, submission: Submission) -> None:
    """Delete a submission, its results and all their files (the one deletion path, shared
    with the review admin)."""
    reviews.submission_delete(submission_ids=[submission.pk])
