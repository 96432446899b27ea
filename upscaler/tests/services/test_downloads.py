"""result_download_ensure: the output converted by the engine's writer (metadata carried), once."""

import io

import pytest
from django.core.files.storage import default_storage
from PIL import Image

from upscaler.services.deletion import submissions_delete
from upscaler.services.downloads import download_name, result_download_ensure
from upscaler.services.results import result_process
from upscaler.services.submissions import submission_create
from upscaler.tests.conftest import stored_files

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def succeeded(make_upload, monkeypatch, recorded_jobs):
    image = Image.new("RGB", (12, 8), (200, 40, 90))
    buf = io.BytesIO()
    image.save(buf, "PNG", dpi=(72, 72))
    submission = submission_create(
        owner=None, session_key="d" * 32, upload=make_upload(buf.getvalue()), scale=2, model_name="bicubic"
    )
    result = submission.results.get()
    result_process(result_id=result.id)
    result.refresh_from_db()
    return result


@pytest.mark.parametrize(("fmt", "pil_format"), [("webp", "WEBP"), ("jpeg", "JPEG")])
def test_converts_with_metadata_and_caches(succeeded, media_root, fmt, pil_format):
    name = result_download_ensure(result=succeeded, fmt=fmt)
    assert name == download_name(succeeded, fmt)
    with default_storage.open(name, "rb") as fh, Image.open(fh) as image:
        assert image.format == pil_format
        assert image.size == (24, 16)
        red, green, blue = image.convert("RGB").getpixel((12, 8))
        assert abs(red - 200) < 8 and abs(green - 40) < 8 and abs(blue - 90) < 8
        if fmt == "jpeg":  # the writer scales the original's DPI with the image
            assert round(image.info["dpi"][0]) == 144
    mtime = (media_root / name).stat().st_mtime_ns
    files = stored_files(media_root)
    assert result_download_ensure(result=succeeded, fmt=fmt) == name
    assert stored_files(media_root) == files and (media_root / name).stat().st_mtime_ns == mtime


def test_the_stored_format_is_served_as_it_is(succeeded, media_root):
    files = stored_files(media_root)
    assert result_download_ensure(result=succeeded, fmt="png") == succeeded.output.name
    assert stored_files(media_root) == files


def test_unknown_format_and_unfinished_results_are_refused(succeeded, make_upload):
    with pytest.raises(ValueError):
        result_download_ensure(result=succeeded, fmt="gif")
    queued = submission_create(
        owner=None, session_key="d" * 32, upload=make_upload(), scale=2, model_name="bicubic"
    ).results.get()
    with pytest.raises(ValueError):
        result_download_ensure(result=queued, fmt="webp")


def test_deleting_the_submission_deletes_its_downloads(succeeded, media_root):
    result_download_ensure(result=succeeded, fmt="webp")
    result_download_ensure(result=succeeded, fmt="jpeg")
    assert any(f.startswith("downloads/") for f in stored_files(media_root))
    submissions_delete(submission_ids=[succeeded.submission_id])
    assert stored_files(media_root) == []


def test_every_output_format_is_named_by_download_name_and_has_its_content_type(succeeded):
    from upscaler.models import Result
    from upscaler.services.downloads import download_names

    formats = Result.OutputFormat
    assert download_names(results=[succeeded]) == [download_name(succeeded, fmt) for fmt in formats.values]
    assert [formats(fmt).content_type for fmt in formats.values] == ["image/png", "image/webp", "image/jpeg"]
    assert download_name(succeeded, "jpeg").endswith(f"/{succeeded.id}.jpg")
