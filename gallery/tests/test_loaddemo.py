"""manage.py loaddemo: openly licensed photos through the real job path into the gallery, once."""

import pytest
from django.core.management import call_command

from gallery.demo import PHOTOS, demo_photo_path
from gallery.selectors import gallery_items
from upscaler.models import Result, Submission

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def test_the_photos_ship_in_the_scikit_image_wheel():
    for photo in PHOTOS:
        assert demo_photo_path(photo).is_file(), photo.filename
        assert photo.licence and photo.credit


def test_loaddemo_publishes_each_photo_once(settings):
    settings.UPSCALER_JOB_BACKEND = "upscaler.jobs.backends.thread.ThreadBackend"
    # the command runs its jobs inline whatever the site uses
    call_command("loaddemo", "--model", "bicubic")
    items = list(gallery_items())
    assert len(items) == len(PHOTOS)
    assert items[0].review_state == Submission.ReviewState.FEATURED and items[0].title.startswith("Eileen")
    assert all(item.gallery_results for item in items)
    assert all(item.credit and item.licence for item in items)
    benchmark = next(item for item in items if item.kind == Submission.Kind.BENCHMARK)
    assert benchmark.gallery_results[0].psnr_y is not None
    ids = sorted(str(item.pk) for item in items)

    call_command("loaddemo", "--model", "bicubic")
    assert sorted(str(item.pk) for item in gallery_items()) == ids
    assert Result.objects.count() == len(PHOTOS)


def test_a_failed_photo_is_made_again(settings):
    call_command("loaddemo", "--model", "bicubic")
    broken = Submission.objects.get(idempotency_key="loaddemo:coffee")
    Result.objects.filter(submission=broken).update(status=Result.Status.FAILED, error="boom")
    call_command("loaddemo", "--model", "bicubic")
    assert not Submission.objects.filter(pk=broken.pk).exists()
    again = Submission.objects.get(idempotency_key="loaddemo:coffee")
    assert again.results.get().status == Result.Status.SUCCEEDED
    assert again.review_state == Submission.ReviewState.APPROVED
