"""result_reference_ensure: a real bicubic enlargement at the result's size, made once."""

import io

import pytest
from django.core.files.storage import default_storage
from PIL import Image, ImageChops

from upscaler.services.references import reference_name, result_reference_ensure
from upscaler.services.results import result_process
from upscaler.services.submissions import submission_create
from upscaler.tests.conftest import make_image_bytes, stored_files

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def succeeded(make_upload, monkeypatch, recorded_jobs):
    data = make_image_bytes(10, 6)
    submission = submission_create(
        owner=None, session_key="b" * 32, upload=make_upload(data), scale=3, model_name="bicubic"
    )
    result = submission.results.get()
    result_process(result_id=result.id)
    result.refresh_from_db()
    return result, data


def test_reference_is_bicubic_at_output_size_and_cached(succeeded, media_root):
    result, data = succeeded
    name = result_reference_ensure(result=result)
    assert name == reference_name(result)
    with default_storage.open(name, "rb") as fh, Image.open(fh) as image:
        reference = image.convert("RGB")
    assert reference.size == (30, 18)
    expected = Image.open(io.BytesIO(data)).convert("RGB").resize((30, 18), Image.Resampling.BICUBIC)
    assert ImageChops.difference(reference, expected).getbbox() is None
    # nearest-neighbour enlargement of a gradient differs: the check above is meaningful
    nearest = Image.open(io.BytesIO(data)).convert("RGB").resize((30, 18), Image.Resampling.NEAREST)
    assert ImageChops.difference(reference, nearest).getbbox() is not None

    files_before = stored_files(media_root)
    mtime = (media_root / name).stat().st_mtime_ns
    assert result_reference_ensure(result=result) == name
    assert stored_files(media_root) == files_before
    assert (media_root / name).stat().st_mtime_ns == mtime


def test_no_reference_before_success(make_upload, monkeypatch, recorded_jobs):
    submission = submission_create(
        owner=None, session_key="b" * 32, upload=make_upload(), scale=2, model_name="bicubic"
    )
    with pytest.raises(ValueError):
        result_reference_ensure(result=submission.results.get())
