"""submission_create: validation (no row, no file on bad input), storage naming, dispatch on commit."""

import hashlib
import re

import pytest
from django.core.exceptions import ValidationError

from upscaler.models import Result, Submission
from upscaler.services.submissions import submission_create
from upscaler.tests.conftest import make_image_bytes, stored_files
from upscaler.tests.support.validation import error_codes

pytestmark = pytest.mark.django_db


def create(upload, **overrides):
    kwargs = {"owner": None, "session_key": "s" * 32, "upload": upload, "scale": 4,
              "model_name": "bicubic"}
    kwargs.update(overrides)
    return submission_create(**kwargs)


def test_creates_submission_result_and_file_and_dispatches_on_commit(
    make_upload, media_root, django_capture_on_commit_callbacks, monkeypatch, recorded_jobs
):
    dispatched = recorded_jobs.result_ids
    data = make_image_bytes(10, 7)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        submission = create(make_upload(data))
    assert dispatched == []  # nothing is dispatched before the commit
    for callback in callbacks:
        callback()

    submission.refresh_from_db()
    result = submission.results.get()
    assert dispatched == [result.id]
    assert (submission.width, submission.height, submission.format) == (10, 7, "PNG")
    assert submission.sha256 == hashlib.sha256(data).hexdigest()
    assert submission.size_bytes == len(data)
    assert submission.session_key == "s" * 32 and submission.owner is None
    assert re.fullmatch(rf"uploads/\d{{4}}/\d{{2}}/{submission.id}\.png", submission.original.name)
    assert (media_root / submission.original.name).read_bytes() == data
    assert (result.status, result.progress, result.scale, result.model_name) == (
        "queued", 0, 4, "bicubic"
    )


def test_user_owner_does_not_keep_session_key(make_upload, user):
    submission = create(make_upload(), owner=user, session_key="k" * 32)
    assert submission.owner == user and submission.session_key == ""


def test_jpeg_gets_jpg_extension(make_upload):
    submission = create(make_upload(make_image_bytes(fmt="JPEG"), name="a.jpeg"))
    assert submission.format == "JPEG"
    assert submission.original.name.endswith(f"{submission.id}.jpg")


def test_client_file_name_is_never_used(make_upload):
    submission = create(make_upload(name="../../etc/evil name.png.exe"))
    assert "evil" not in submission.original.name and ".." not in submission.original.name


TRUNCATED = make_image_bytes(32, 32)[:60]


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "empty"),
        (b"this is not an image at all", "unsupported_image"),
        (TRUNCATED, "unsupported_image"),
        (b"%PDF-1.4\n" + b"0" * 200, "unsupported_image"),
    ],
    ids=["zero-byte", "text", "truncated-png", "pdf"],
)
def test_bad_input_leaves_no_row_and_no_file(make_upload, media_root, data, code):
    with pytest.raises(ValidationError) as excinfo:
        create(make_upload(data))
    assert error_codes(excinfo.value) == {"image": [code]}
    assert str(excinfo.value.messages[0])  # a readable message
    assert Submission.objects.count() == 0 and Result.objects.count() == 0
    assert stored_files(media_root) == []


def test_unknown_model_and_unsupported_scale_are_rejected(make_upload, media_root):
    with pytest.raises(ValidationError) as excinfo:
        create(make_upload(), model_name="no-such-model")
    assert error_codes(excinfo.value) == {"model": ["unknown_model"]}
    with pytest.raises(ValidationError) as excinfo:
        create(make_upload(), scale=5)
    assert error_codes(excinfo.value) == {"scale": ["bad_scale"]}
    assert Submission.objects.count() == 0 and stored_files(media_root) == []


def test_output_pixel_budget(make_upload, settings, media_root):
    settings.UPSCALER_MAX_OUTPUT_PIXELS = 16 * 16 * 16 - 1  # 16x16 at x4 is 4096 pixels
    with pytest.raises(ValidationError) as excinfo:
        create(make_upload(make_image_bytes(16, 16)), scale=4)
    assert error_codes(excinfo.value) == {"image": ["too_large"]}
    assert "64×64" in excinfo.value.messages[0]
    assert Submission.objects.count() == 0 and stored_files(media_root) == []
    create(make_upload(make_image_bytes(16, 16)), scale=2)  # 32x32 fits


def test_input_pixel_budget(make_upload, settings, media_root):
    settings.UPSCALER_MAX_INPUT_PIXELS = 100
    with pytest.raises(ValidationError) as excinfo:
        create(make_upload(make_image_bytes(20, 20)), scale=2)
    assert error_codes(excinfo.value) == {"image": ["too_large"]}
    assert Submission.objects.count() == 0 and stored_files(media_root) == []


def test_upload_byte_limit(make_upload, settings):
    data = make_image_bytes(16, 16)
    settings.UPSCALER_MAX_UPLOAD_BYTES = len(data) - 1
    with pytest.raises(ValidationError) as excinfo:
        create(make_upload(data))
    assert error_codes(excinfo.value) == {"image": ["too_large"]}


def test_database_failure_removes_the_stored_file(make_upload, media_root, monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("database down")

    monkeypatch.setattr(Result.objects, "create", boom)
    with pytest.raises(RuntimeError):
        create(make_upload())
    assert Submission.objects.count() == 0
    assert stored_files(media_root) == []


def test_anonymous_needs_session_key(make_upload):
    with pytest.raises(ValueError):
        create(make_upload(), session_key="")
