"""The upload page's automatic model: the default option, chosen by the server without JS, shown on
the result page; and the inspect endpoint that tells the page the choice before the upload."""

from __future__ import annotations

import io
import re

import pytest
from django.test import Client

from upscaler.models import Result, Submission
from upscaler.tests.conftest import make_image_bytes, make_jpeg_bytes, stored_files

pytestmark = pytest.mark.django_db(transaction=True)  # jobs run on commit (inline runner)

INSPECT = "/inspect"


def named(data: bytes, name: str) -> io.BytesIO:
    fh = io.BytesIO(data)
    fh.name = name
    return fh


def test_automatic_is_the_default_option_and_models_show_label_and_name(client, photo_model):
    html = client.get("/").content.decode()
    options = re.findall(r'<option value="([^"]*)"( selected)?>([^<]*)</option>', html)
    assert options[0] == ("", " selected", "Automatic (from the file)")
    assert [(value, text) for value, _, text in options[1:]] == [
        ("bicubic", "Bicubic (baseline)"), ("photo", "Photo (JPEG, noise)"), ("srresnet", "Faithful (srresnet)"),
    ]
    assert 'data-inspect-url="/inspect"' in html and 'id="model-choice"' in html


def test_without_js_the_form_posts_and_the_server_chooses(client, photo_model, fake_upscaler):
    # What a browser without the script sends: the select's default, "".
    response = client.post("/", {"image": named(make_jpeg_bytes(quality=70), "a.jpg"), "scale": 4, "model": ""})
    assert response.status_code == 302, response.content.decode()[:2000]
    result = Result.objects.get()
    assert (result.model_name, result.model_choice_reason) == ("photo", "JPEG, quality ≈ 70: photo")
    page = client.get(response["Location"]).content.decode()
    assert "Photo (JPEG, noise) ×4" in page
    assert "Chosen automatically — JPEG, quality ≈ 70: Photo (JPEG, noise)" in page


def test_a_named_model_on_the_form_is_kept_and_no_reason_is_shown(client, photo_model, fake_upscaler):
    response = client.post("/", {"image": named(make_jpeg_bytes(quality=70), "a.jpg"), "scale": 4,
                                 "model": "srresnet"})
    assert response.status_code == 302
    assert (Result.objects.get().model_name, Result.objects.get().model_choice_reason) == ("srresnet", "")
    page = client.get(response["Location"]).content.decode()
    assert "Faithful (srresnet) ×4" in page and "Chosen automatically" not in page


def test_benchmark_mode_uses_the_clean_model(client, photo_model, fake_upscaler):
    response = client.post("/", {"image": named(make_jpeg_bytes(128, 96), "a.jpg"), "scale": 4, "mode": "benchmark"})
    assert response.status_code == 302
    assert Result.objects.get().model_name == "srresnet"


def test_inspect_answers_with_the_choice_for_the_scale(client, photo_model):
    answer = client.post(INSPECT, {"image": named(make_jpeg_bytes(quality=70), "a.jpg"), "scale": 4})
    assert answer.status_code == 200 and answer["Content-Type"] == "application/json"
    assert answer.json() == {
        "format": "JPEG", "quality": 70, "noise": None, "summary": "JPEG, quality ≈ 70",
        "model": "photo", "label": "Photo (JPEG, noise)", "title": "Photo (JPEG, noise)",
        "reason": "JPEG, quality ≈ 70: photo", "text": "JPEG, quality ≈ 70: Photo (JPEG, noise)",
    }
    clean = client.post(INSPECT, {"image": named(make_image_bytes(40, 30), "a.png"), "scale": 4}).json()
    assert (clean["format"], clean["quality"]) == ("PNG", None) and clean["noise"] < 1
    assert (clean["model"], clean["text"]) == ("srresnet", "PNG, clean: Faithful (srresnet)")
    at_x2 = client.post(INSPECT, {"image": named(make_jpeg_bytes(quality=70), "a.jpg"), "scale": 2}).json()
    assert at_x2["model"] == "srresnet" and at_x2["reason"].endswith("(no photo model at this scale)")


def test_inspect_stores_nothing_and_starts_no_session(photo_model, media_root):
    visitor = Client()
    answer = visitor.post(INSPECT, {"image": named(make_jpeg_bytes(quality=70), "a.jpg"), "scale": 4})
    assert answer.status_code == 200
    assert Submission.objects.count() == 0 and Result.objects.count() == 0
    assert stored_files(media_root) == []
    assert "sessionid" not in answer.cookies


def test_inspect_is_csrf_protected_and_post_only(photo_model):
    page = Client(enforce_csrf_checks=True)
    image = make_jpeg_bytes(quality=70)
    assert page.post(INSPECT, {"image": named(image, "a.jpg"), "scale": 4}).status_code == 403
    html = page.get("/").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    answer = page.post(INSPECT, {"image": named(image, "a.jpg"), "scale": 4}, headers={"X-CSRFToken": token})
    assert answer.status_code == 200 and answer.json()["model"] == "photo"
    assert page.get(INSPECT).status_code == 405


def test_inspect_refuses_like_an_upload_in_the_one_error_shape(client, photo_model, settings):
    bad = client.post(INSPECT, {"image": named(b"GIF89a but not really", "a.gif"), "scale": 4})
    assert bad.status_code == 400
    error = bad.json()["error"]
    assert error["code"] == "unsupported_image" and error["fields"]["image"] == [error["message"]]
    settings.UPSCALER_MAX_UPLOAD_BYTES = 100
    too_large = client.post(INSPECT, {"image": named(make_jpeg_bytes(quality=70), "a.jpg"), "scale": 4})
    assert too_large.status_code == 400 and too_large.json()["error"]["code"] == "too_large"
    missing = client.post(INSPECT, {"scale": 5})
    assert missing.status_code == 400 and set(missing.json()["error"]["fields"]) == {"image", "scale"}
