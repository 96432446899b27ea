"""Pages over HTTP (Django test client): upload, bad input, submission page, owner-only files."""

import io
import re

import pytest
from django.test import Client
from PIL import Image

from upscaler.models import Result, Submission
from upscaler.tests.conftest import make_image_bytes, stored_files

pytestmark = pytest.mark.django_db(transaction=True)  # jobs run on commit (inline runner)


def post_upload(client, data: bytes, name="photo.png", scale=4, model="bicubic"):
    upload = io.BytesIO(data)
    upload.name = name
    return client.post("/", {"image": upload, "scale": scale, "model": model})


def test_upload_page_offers_scales_and_models(client):
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    for scale in (2, 3, 4, 8):
        assert f'name="scale" value="{scale}"' in html
    assert '<option value="bicubic"' in html
    assert 'type="file"' in html


def test_upload_runs_the_job_and_shows_the_result(client, media_root):
    response = post_upload(client, make_image_bytes(9, 5))
    assert response.status_code == 302
    submission = Submission.objects.get()
    assert response["Location"] == f"/s/{submission.id}/"
    result = submission.results.get()
    assert result.status == "succeeded"  # the inline runner ran it on commit

    page = client.get(response["Location"])
    assert page.status_code == 200
    html = page.content.decode()
    assert f'data-ws-path="/ws/submissions/{submission.id}/"' in html
    assert f"/r/{result.id}/output.png" in html and f"/r/{result.id}/bicubic.png" in html
    assert "upscaler/submission.js" in html

    output = client.get(f"/r/{result.id}/output.png")
    assert output.status_code == 200 and output["Content-Type"] == "image/png"
    assert Image.open(io.BytesIO(b"".join(output.streaming_content))).size == (36, 20)
    reference = client.get(f"/r/{result.id}/bicubic.png")
    assert reference.status_code == 200
    assert Image.open(io.BytesIO(b"".join(reference.streaming_content))).size == (36, 20)
    original = client.get(f"/s/{submission.id}/original")
    assert b"".join(original.streaming_content) == make_image_bytes(9, 5)


@pytest.mark.parametrize(
    "data",
    [b"", b"GIF89a but not really", make_image_bytes(40, 40)[:80]],
    ids=["zero-byte", "not-an-image", "truncated"],
)
def test_bad_upload_gets_a_form_error_and_leaves_nothing(client, media_root, data):
    response = post_upload(client, data)
    assert response.status_code == 400
    html = response.content.decode()
    errors = re.findall(r'<div id="image-error" class="field-error" role="alert">([^<]+)</div>', html)
    assert errors and all(e.strip() for e in errors)
    assert Submission.objects.count() == 0 and Result.objects.count() == 0
    assert stored_files(media_root) == []


def test_missing_file_and_bad_scale_are_form_errors(client):
    assert client.post("/", {"scale": 4, "model": "bicubic"}).status_code == 400
    response = post_upload(client, make_image_bytes(), scale=5)
    assert response.status_code == 400 and Submission.objects.count() == 0


def test_other_visitors_see_nothing(client, media_root):
    post_upload(client, make_image_bytes())
    submission = Submission.objects.get()
    result = submission.results.get()
    stranger = Client()
    stranger.get("/")  # has a session of its own
    for url in (
        f"/s/{submission.id}/",
        f"/s/{submission.id}/original",
        f"/r/{result.id}/output.png",
        f"/r/{result.id}/bicubic.png",
    ):
        assert stranger.get(url).status_code == 404, url
    assert stranger.post(f"/r/{result.id}/cancel").status_code == 404


def test_cancel_a_queued_result(client, settings):
    settings.UPSCALER_JOB_RUNNER = "celery"
    from upscaler.tasks import result_process_task

    sent = []
    result_process_task.delay = sent.append  # instance attribute: no broker in this test
    try:
        post_upload(client, make_image_bytes())
    finally:
        del result_process_task.delay
    result = Result.objects.get()
    assert sent == [str(result.id)] and result.status == "queued"
    response = client.post(f"/r/{result.id}/cancel")
    assert response.status_code == 302
    result.refresh_from_db()
    assert result.status == "cancelled"
    assert client.get(f"/r/{result.id}/output.png").status_code == 404


def test_healthz(client):
    assert client.get("/healthz").content == b"ok"
