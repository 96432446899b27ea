"""The automatic choice of a model when none is named: read from the upload itself (photo model for
lossy or noisy files, the clean model otherwise, with the reason stored), never over a named model."""

import pytest
from django.core.exceptions import ValidationError

from upscaler.integrations import engine_provider
from upscaler.models import Result, Submission
from upscaler.services import api_submissions
from upscaler.services.benchmarks import benchmark_create
from upscaler.services.submissions import submission_create, upload_inspect
from upscaler.tests.conftest import make_image_bytes, make_jpeg_bytes, stored_files
from upscaler.tests.support.validation import error_codes

pytestmark = pytest.mark.django_db


def create(upload, **overrides) -> Result:
    kwargs = {"owner": None, "session_key": "s" * 32, "upload": upload, "scale": 4, **overrides}
    return submission_create(**kwargs).results.get()


def test_a_jpeg_of_quality_70_gets_the_photo_model(make_upload, photo_model, recorded_jobs):
    result = create(make_upload(make_jpeg_bytes(quality=70), name="a.jpg", content_type="image/jpeg"))
    assert result.model_name == "photo"
    assert result.model_choice_reason == "JPEG, quality ≈ 70: photo"
    assert result.model_chosen_automatically


def test_a_clean_png_gets_the_clean_model(make_upload, photo_model, recorded_jobs):
    result = create(make_upload(make_image_bytes(40, 30)))
    assert (result.model_name, result.model_choice_reason) == ("srresnet", "PNG, clean: srresnet")
    assert engine_provider.default_model_name(4) == "srresnet"  # the photo model is not the default


def test_without_a_photo_model_at_the_scale_the_clean_model_is_chosen_and_says_why(
    make_upload, photo_model, recorded_jobs
):
    result = create(make_upload(make_jpeg_bytes(quality=70)), scale=2)  # the photo model is x4 only
    assert result.model_name == "srresnet"
    assert result.model_choice_reason == "JPEG, quality ≈ 70: srresnet (no photo model at this scale)"


def test_with_no_trained_model_at_all_the_choice_is_bicubic(make_upload, weights_dir, recorded_jobs):
    result = create(make_upload(make_jpeg_bytes(quality=70)))
    assert result.model_name == "bicubic" and "no photo model" in result.model_choice_reason


def test_a_named_model_is_never_overridden(make_upload, photo_model, recorded_jobs):
    result = create(make_upload(make_jpeg_bytes(quality=70)), model_name="bicubic")
    assert (result.model_name, result.model_choice_reason) == ("bicubic", "")
    assert not result.model_chosen_automatically


def test_a_bad_file_is_refused_before_any_choice_and_leaves_nothing(make_upload, photo_model, media_root):
    with pytest.raises(ValidationError) as excinfo:
        create(make_upload(b"GIF89a but not really"))
    assert error_codes(excinfo.value) == {"image": ["unsupported_image"]}
    assert Submission.objects.count() == 0 and stored_files(media_root) == []


def test_a_default_model_without_the_scale_is_refused_on_the_scale(make_upload, photo_model, settings):
    settings.UPSCALER_DEFAULT_MODEL = "photo"  # x4 only
    with pytest.raises(ValidationError) as excinfo:
        create(make_upload(make_image_bytes(40, 30)), scale=2)
    assert error_codes(excinfo.value) == {"scale": ["bad_scale"]}


def test_a_benchmark_uses_the_clean_model_whatever_the_photo(make_upload, photo_model, recorded_jobs):
    upload = make_upload(make_jpeg_bytes(128, 96, quality=70), name="photo.jpg")
    result = benchmark_create(owner=None, session_key="s" * 32, upload=upload, scale=4).results.get()
    # The service shrank it with bicubic itself: a clean input, what the clean model is measured on.
    assert (result.model_name, result.model_choice_reason) == ("srresnet", "Benchmark (shrunk with bicubic): srresnet")


def test_inspecting_an_upload_chooses_like_creating_and_stores_nothing(make_upload, photo_model, media_root):
    provenance, choice = upload_inspect(upload=make_upload(make_jpeg_bytes(quality=70)), scale=4)
    assert (provenance.format, provenance.quality, choice.name) == ("JPEG", 70, "photo")
    _, at_x2 = upload_inspect(upload=make_upload(make_jpeg_bytes(quality=70)), scale=2)
    assert at_x2.name == "srresnet" and "no photo model" in at_x2.reason
    assert Submission.objects.count() == 0 and stored_files(media_root) == []


# --- the API's path: the choice is made before the duplicate lookup, the hash once -----------


def submit(make_upload, data: bytes, owner, **options):
    return api_submissions.submission_submit(
        owner=owner, session_key=None, upload=make_upload(data), **{"scale": 4, **options}
    )


def test_the_api_path_chooses_from_the_file_and_finds_its_duplicate(make_upload, user, photo_model, recorded_jobs):
    data = make_jpeg_bytes(quality=70)
    first = submit(make_upload, data, user)
    result = first.submission.results.get()
    assert (result.model_name, result.model_choice_reason) == ("photo", "JPEG, quality ≈ 70: photo")
    Result.objects.filter(pk=result.pk).update(
        status=Result.Status.SUCCEEDED, output="results/x.png", output_width=256, output_height=192
    )
    # Asked again with no model, the same file gets the same choice: the photo model's result.
    again = submit(make_upload, data, user)
    assert (again.created, again.reused, again.submission.pk) == (False, "duplicate", first.submission.pk)
    # Naming the clean model is another request.
    assert submit(make_upload, data, user, model_name="srresnet").created


def test_a_rerun_naming_no_model_chooses_from_the_stored_original(make_upload, user, photo_model, recorded_jobs):
    submission = submit(make_upload, make_jpeg_bytes(quality=70), user, model_name="bicubic").submission
    result, created = api_submissions.submission_rerun(
        submission=submission, owner=user, session_key=None, scale=4, model_name=None,
    )
    assert created and (result.model_name, result.model_choice_reason) == ("photo", "JPEG, quality ≈ 70: photo")
    named, created = api_submissions.submission_rerun(
        submission=submission, owner=user, session_key=None, scale=2, model_name="srresnet",
    )
    assert created and (named.model_name, named.model_choice_reason) == ("srresnet", "")
