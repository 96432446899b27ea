"""Benchmark mode: the upload is the ground truth, the input is it downsampled with Pillow
bicubic, and the job scores its output and the bicubic reference against the ground truth."""

import io

import numpy as np
import pytest
from django.core.exceptions import ValidationError
from PIL import Image, ImageChops

from upscaler.integrations import engine_provider
from upscaler.models import Result, Submission
from upscaler.services.benchmark_scores import PSNR_CEILING_DB
from upscaler.services.benchmarks import benchmark_create
from upscaler.services.results import result_process
from upscaler.tests.conftest import stored_files

pytestmark = pytest.mark.django_db(transaction=True)


def photo(width: int, height: int, seed: int = 1) -> bytes:
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width]
    base = np.stack([x * 255 // width, y * 255 // height, (x * y) % 256], axis=-1)
    noisy = np.clip(base + rng.normal(0, 20, base.shape), 0, 255).astype(np.uint8)
    buf = io.BytesIO()
    Image.fromarray(noisy).save(buf, "PNG")
    return buf.getvalue()


@pytest.fixture
def no_dispatch(recorded_jobs):
    """Jobs are recorded, not run."""

def test_input_is_the_ground_truth_cropped_and_downsampled_with_bicubic(no_dispatch, make_upload):
    data = photo(101, 66)  # not multiples of 4: cropped to 100x64
    submission = benchmark_create(
        owner=None, session_key="e" * 32, upload=make_upload(data), scale=4, model_name="bicubic"
    )
    assert submission.kind == Submission.Kind.BENCHMARK
    assert (submission.width, submission.height) == (25, 16)
    with submission.ground_truth.open("rb") as fh, Image.open(fh) as truth:
        truth = truth.convert("RGB")
    expected_truth = Image.open(io.BytesIO(data)).convert("RGB").crop((0, 0, 100, 64))
    assert ImageChops.difference(truth, expected_truth).getbbox() is None
    with submission.original.open("rb") as fh, Image.open(fh) as small:
        small = small.convert("RGB")
    expected = expected_truth.resize((25, 16), Image.Resampling.BICUBIC)
    assert ImageChops.difference(small, expected).getbbox() is None
    assert ImageChops.difference(small, expected_truth.resize((25, 16), Image.Resampling.NEAREST)).getbbox()


def test_a_photo_too_small_for_the_scale_is_refused_and_leaves_nothing(no_dispatch, make_upload, media_root):
    with pytest.raises(ValidationError) as info:
        benchmark_create(owner=None, session_key="e" * 32, upload=make_upload(photo(60, 60)), scale=4,
                         model_name="bicubic")
    assert info.value.code == "too_small"
    assert Submission.objects.count() == 0 and stored_files(media_root) == []


def test_the_job_scores_the_output_and_bicubic_against_the_ground_truth(no_dispatch, make_upload):
    submission = benchmark_create(
        owner=None, session_key="e" * 32, upload=make_upload(photo(96, 64)), scale=2, model_name="bicubic"
    )
    result = submission.results.get()
    result_process(result_id=result.id)
    result.refresh_from_db()
    assert result.status == Result.Status.SUCCEEDED
    # The bicubic model and the bicubic reference are nearly the same image: nearly the same scores.
    assert 10 < result.bicubic_psnr_y < 50 and 0 < result.bicubic_ssim_y < 1
    assert result.psnr_y == pytest.approx(result.bicubic_psnr_y, abs=0.5)
    assert result.ssim_y == pytest.approx(result.bicubic_ssim_y, abs=0.02)


def test_a_perfect_output_scores_the_ceiling(no_dispatch, make_upload, monkeypatch):
    submission = benchmark_create(
        owner=None, session_key="e" * 32, upload=make_upload(photo(96, 64)), scale=2, model_name="bicubic"
    )
    with submission.ground_truth.open("rb") as fh:
        truth = Image.open(fh).convert("RGB")

    def oracle(source, *, progress=None):  # "upscales" to exactly the ground truth
        return truth.copy()

    monkeypatch.setattr(engine_provider, "get_upscaler", lambda name, scale: oracle)
    result = submission.results.get()
    result_process(result_id=result.id)
    result.refresh_from_db()
    assert result.psnr_y == PSNR_CEILING_DB and result.ssim_y == pytest.approx(1.0)
    assert result.bicubic_psnr_y < 60 and result.bicubic_ssim_y < 0.99


def test_plain_submissions_have_no_scores(no_dispatch, make_upload):
    from upscaler.services.submissions import submission_create

    submission = submission_create(
        owner=None, session_key="e" * 32, upload=make_upload(photo(20, 20)), scale=2, model_name="bicubic"
    )
    result = submission.results.get()
    result_process(result_id=result.id)
    result.refresh_from_db()
    assert result.status == Result.Status.SUCCEEDED and result.psnr_y is None


def test_a_sixteen_bit_ground_truth_is_rounded_to_eight_bits_as_the_writer_rounds(no_dispatch, make_upload):
    from upscaler.engine.imageio import to_8bit

    rng = np.random.default_rng(3)
    levels = rng.integers(0, 65536, size=(64, 96), dtype=np.uint16)
    buf = io.BytesIO()
    Image.fromarray(levels).save(buf, "PNG")
    submission = benchmark_create(
        owner=None, session_key="e" * 32, upload=make_upload(buf.getvalue()), scale=2, model_name="bicubic"
    )
    with submission.ground_truth.open("rb") as fh, Image.open(fh) as truth:
        stored = np.asarray(truth.convert("RGB"))
    expected = to_8bit(levels)
    assert (stored == expected[:, :, None]).all()
    assert (stored[:, :, 0] != (levels // 257)).any()  # flooring, as scoring once did, differs


def test_scoring_reduces_a_sixteen_bit_output_the_way_the_truth_was_stored(no_dispatch, make_upload,
                                                                           monkeypatch):
    levels = np.random.default_rng(4).integers(0, 65536, size=(64, 96), dtype=np.uint16)
    buf = io.BytesIO()
    Image.fromarray(levels).save(buf, "PNG")
    submission = benchmark_create(
        owner=None, session_key="e" * 32, upload=make_upload(buf.getvalue()), scale=2, model_name="bicubic"
    )

    def oracle(source, *, progress=None):  # the 16-bit truth itself, as a 16-bit grey job output
        return Image.fromarray(levels)

    monkeypatch.setattr(engine_provider, "get_upscaler", lambda name, scale: oracle)
    result = submission.results.get()
    result_process(result_id=result.id)
    result.refresh_from_db()
    assert result.psnr_y == PSNR_CEILING_DB and result.ssim_y == pytest.approx(1.0)
