"""Gallery pages: the public gallery shows reviewed items to anyone; "My images" only the
visitor's own submissions."""

import io

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from upscaler.models import Submission
from upscaler.services import reviews
from upscaler.tests.conftest import make_image_bytes

pytestmark = pytest.mark.django_db(transaction=True)


def upload(client):
    data = io.BytesIO(make_image_bytes())
    data.name = "a.png"
    assert client.post("/", {"image": data, "scale": 2, "model": "bicubic"}).status_code == 302
    return Submission.objects.order_by("-created").first()


def test_my_images_shows_own_submissions_only(client):
    mine = upload(client)
    theirs = upload(Client())
    html = client.get("/gallery/mine/").content.decode()
    assert f"/s/{mine.id}/" in html and f"/s/{theirs.id}/" not in html
    assert "Succeeded" in html


def test_public_gallery_shows_approved_items_to_anyone_and_hides_them_on_reject(client):
    owner = Client()
    submission = upload(owner)
    result = submission.results.get()
    staff = get_user_model().objects.create_user("rita", password="pw-rita-123", is_staff=True)
    anonymous = client

    assert f"/r/{result.id}/thumb.png" not in anonymous.get("/gallery/").content.decode()
    assert anonymous.get(f"/r/{result.id}/output.png").status_code == 404  # pending: private

    reviews.submission_approve(submission_ids=[submission.pk], reviewer=staff)
    html = anonymous.get("/gallery/").content.decode()
    assert f"/r/{result.id}/thumb.png" in html and f"/gallery/{submission.id}/" in html
    detail = anonymous.get(f"/gallery/{submission.id}/").content.decode()
    assert f"/r/{result.id}/output.png" in detail and f"/r/{result.id}/bicubic.png" in detail
    for url in (f"/r/{result.id}/output.png", f"/r/{result.id}/thumb.png", f"/r/{result.id}/bicubic.png",
                f"/s/{submission.id}/original", f"/s/{submission.id}/thumb.png"):
        assert anonymous.get(url).status_code == 200, url
    # Public files do not make the submission page or its controls public.
    assert anonymous.get(f"/s/{submission.id}/").status_code == 404

    reviews.submission_reject(submission_ids=[submission.pk], reviewer=staff, reason="spam")
    assert f"/r/{result.id}/" not in anonymous.get("/gallery/").content.decode()
    assert anonymous.get(f"/gallery/{submission.id}/").status_code == 404
    assert anonymous.get(f"/r/{result.id}/output.png").status_code == 404
    assert owner.get(f"/r/{result.id}/output.png").status_code == 200  # the owner still can


def test_public_gallery_puts_featured_first(client):
    staff = get_user_model().objects.create_user("rita", password="pw-rita-123", is_staff=True)
    older, newer = upload(Client()), upload(Client())
    reviews.submission_approve(submission_ids=[older.pk, newer.pk], reviewer=staff)
    html = client.get("/gallery/").content.decode()
    assert html.index(str(newer.results.get().id)) < html.index(str(older.results.get().id))
    reviews.submission_feature(submission_ids=[older.pk], reviewer=staff)
    html = client.get("/gallery/").content.decode()
    assert html.index(str(older.results.get().id)) < html.index(str(newer.results.get().id))
    assert "Featured" in html


def test_gallery_pages_hold_twelve_items_featured_first(client):
    from gallery.views import PAGE_SIZE
    from upscaler.tests.support.factories import create_submission

    staff = get_user_model().objects.create_user("rita", password="pw-rita-123", is_staff=True)
    items = [create_submission(review_state="approved") for _ in range(PAGE_SIZE + 1)]
    oldest = items[0]
    reviews.submission_feature(submission_ids=[oldest.pk], reviewer=staff)
    first = client.get("/gallery/").content.decode()
    assert first.count('class="card tile') == PAGE_SIZE and "Page 1 of 2" in first
    assert first.index(f"/gallery/{oldest.id}/") < first.index(f"/gallery/{items[-1].id}/")
    second = client.get("/gallery/?page=2").content.decode()
    assert second.count('class="card tile') == 1 and f"/gallery/{items[1].id}/" in second
    assert client.get("/gallery/?page=99").status_code == 200  # out of range: the last page


def test_gallery_detail_shows_the_comparison_and_facts(client):
    from upscaler.tests.support.factories import create_submission

    submission = create_submission(review_state="approved", width=10, height=6, scale=4)
    Submission.objects.filter(pk=submission.pk).update(title="Test photo", credit="Someone", licence="CC0")
    result = submission.results.get()
    html = client.get(f"/gallery/{submission.id}/").content.decode()
    assert 'role="slider"' in html and f'src="/r/{result.id}/output.png"' in html
    assert "Test photo" in html and "Someone" in html and "CC0" in html
    assert "×4" in html and "40×24" in html and f"{result.inference_ms} ms" in html
    assert "gallery/detail.js" in html  # which imports upscaler/compare.js
    pending = create_submission()
    assert client.get(f"/gallery/{pending.id}/").status_code == 404


@pytest.mark.django_db(transaction=True)
def test_the_gallery_serves_a_re_encoded_original_the_owner_the_upload(client):
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image
    from PIL.ExifTags import IFD

    from upscaler.services.reviews import submission_approve
    from upscaler.services.submissions import submission_create

    exif = Image.Exif()
    exif[IFD.GPSInfo] = {1: "N", 2: (52.0, 31.0, 12.0)}
    buffer = io.BytesIO()
    Image.new("RGB", (12, 8), (200, 40, 40)).save(buffer, format="JPEG", exif=exif.tobytes())
    uploaded = buffer.getvalue()
    owner_client = Client()
    owner_client.get("/")  # a session
    owner_client.session.save()
    session_key = owner_client.session.session_key
    submission = submission_create(owner=None, session_key=session_key, scale=2, model_name="bicubic",
                                   upload=SimpleUploadedFile("trip.jpg", uploaded, "image/jpeg"))
    staff = get_user_model().objects.create_user("vera", password="pw-vera-123", is_staff=True)
    submission_approve(submission_ids=[submission.pk], reviewer=staff)

    public = client.get(f"/s/{submission.id}/original")
    assert public.status_code == 200 and public["Content-Type"] == "image/png"
    body = b"".join(public.streaming_content)
    with Image.open(io.BytesIO(body)) as copy:
        assert copy.size == (12, 8) and not copy.getexif()
    assert body != uploaded
    own = owner_client.get(f"/s/{submission.id}/original")
    assert b"".join(own.streaming_content) == uploaded  # the uploader gets their own file back
