"""services/api_submissions.py below the HTTP layer: one hash per upload, fields on refusals, and
the owner as the boundary gives it (a user or None)."""

import hashlib

import pytest
from django.core.exceptions import ValidationError

from upscaler.services import api_submissions, submissions
from upscaler.tests.conftest import make_image_bytes
from upscaler.tests.support.validation import error_codes

pytestmark = pytest.mark.django_db


@pytest.fixture
def hashes(monkeypatch):
    """Every digest the submit path computes, by whichever module asks for it."""
    seen = []
    real = submissions.upload_sha256

    def counting(upload):
        seen.append(real(upload))
        return seen[-1]

    monkeypatch.setattr(submissions, "upload_sha256", counting)
    monkeypatch.setattr(api_submissions, "upload_sha256", counting)
    return seen


def submit(make_upload, data: bytes, **options):
    return api_submissions.submission_submit(
        **{"owner": None, "session_key": "g" * 32, "upload": make_upload(data), "scale": 2, **options}
    )


def test_an_upload_is_hashed_once_and_the_digest_is_stored(make_upload, user, hashes, recorded_jobs):
    data = make_image_bytes(9, 5)
    outcome = submit(make_upload, data, owner=user, session_key=None, idempotency_key="k")
    assert outcome.created
    assert hashes == [hashlib.sha256(data).hexdigest()] == [outcome.submission.sha256]


def test_an_anonymous_client_is_none_and_has_no_idempotency_key(make_upload, hashes, recorded_jobs):
    outcome = submit(make_upload, make_image_bytes(9, 5), idempotency_key="k")
    assert outcome.submission.owner is None and outcome.submission.session_key == "g" * 32
    assert outcome.submission.idempotency_key == ""


def test_refusals_name_the_request_field(make_upload, user, recorded_jobs):
    with pytest.raises(ValidationError) as excinfo:
        submit(make_upload, make_image_bytes(9, 5), callback_url="http://example.com/hook")
    assert error_codes(excinfo.value) == {"callback_url": ["bad_callback_url"]}
    with pytest.raises(ValidationError) as excinfo:
        submit(make_upload, make_image_bytes(9, 5), owner=user, session_key=None, output_format="gif")
    assert error_codes(excinfo.value) == {"format": ["bad_format"]}
    with pytest.raises(ValidationError) as excinfo:
        api_submissions.submission_submit_url(owner=user, session_key=None, url="ftp://example.com/a.png", scale=2)
    [(field, [code])] = error_codes(excinfo.value).items()
    assert field == "image_url" and code.startswith("url_")


def test_an_oversized_upload_is_refused_before_it_is_hashed(settings, make_upload, monkeypatch):
    settings.UPSCALER_MAX_UPLOAD_BYTES = 100
    hashed = []
    monkeypatch.setattr(api_submissions, "upload_sha256", lambda upload: hashed.append(upload) or "0" * 64)
    with pytest.raises(ValidationError) as excinfo:
        api_submissions.submission_submit(owner=None, session_key="s" * 32,
                                          upload=make_upload(make_image_bytes(40, 40)), scale=2, model_name="bicubic")
    assert "image" in excinfo.value.message_dict and hashed == []
