"""Pages over HTTP (Django test client): upload, bad input, submission page, owner-only files."""

import io
import json
import re
from pathlib import Path

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
    box = re.search(r'<div id="image-error" class="field-error" role="alert">(.*?)</div>', html).group(1)
    errors = re.findall(r'<span class="error">([^<]+)</span>', box)
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


def test_cancel_a_queued_result(client, recorded_jobs):
    sent = recorded_jobs.result_ids  # recorded, not run: the job stays queued
    post_upload(client, make_image_bytes())
    result = Result.objects.get()
    assert sent == [result.id] and result.status == "queued"
    response = client.post(f"/r/{result.id}/cancel")
    assert response.status_code == 302
    result.refresh_from_db()
    assert result.status == "cancelled"
    assert client.get(f"/r/{result.id}/output.png").status_code == 404


def test_healthz(client):
    assert client.get("/healthz").content == b"ok"


# --- Browser pages (issue 6): estimates, status for polling, downloads, benchmarks ----------


def test_upload_page_carries_models_and_limits_for_the_script(client, settings):
    settings.UPSCALER_MAX_UPLOAD_BYTES = 1234567
    html = client.get("/").content.decode()
    models = json.loads(re.search(r'<script id="upload-models" type="application/json">(.*?)</script>', html).group(1))
    # "Automatic" first, with the clean model of each scale (bicubic: no trained weights here).
    assert {"name": "", "kind": "automatic", "scales": [2, 3, 4, 8]}.items() <= models[0].items()
    assert models[0]["defaults"] == {"2": "bicubic", "3": "bicubic", "4": "bicubic", "8": "bicubic"}
    assert {"name": "bicubic", "scales": [2, 3, 4, 8], "kind": "bicubic"}.items() <= models[1].items()
    assert models[1]["ms_per_megapixel"] > 0 and models[1]["title"] == "Bicubic (baseline)"
    limits = json.loads(re.search(r'<script id="upload-limits" type="application/json">(.*?)</script>', html).group(1))
    assert limits["max_upload_bytes"] == 1234567
    assert 'name="mode" value="benchmark"' in html and "upscaler/upload.js" in html


def test_a_server_side_error_is_rendered_next_to_the_field(client):
    response = post_upload(client, make_image_bytes(), scale=5)
    html = response.content.decode()
    assert response.status_code == 400
    assert re.search(r'<p class="field-error" role="alert">[^<]*5[^<]*</p>', html)


def test_status_json_for_the_owner_only(client):
    post_upload(client, make_image_bytes(9, 5), scale=2)
    submission = Submission.objects.get()
    response = client.get(f"/s/{submission.id}/status.json")
    assert response.status_code == 200 and "no-cache" in response["Cache-Control"]
    status = response.json()
    assert status["final"] is True
    [event] = status["results"]
    assert event["status"] == "succeeded" and event["queue_position"] is None
    assert event["output_url"] == f"/r/{event['result']}/output.png"
    assert Client().get(f"/s/{submission.id}/status.json").status_code == 404


def test_the_submission_page_has_the_viewer_downloads_and_estimate(client):
    post_upload(client, make_image_bytes(9, 5), scale=4)
    submission = Submission.objects.get()
    result = submission.results.get()
    html = client.get(f"/s/{submission.id}/").content.decode()
    assert 'role="slider"' in html and 'aria-valuenow="50"' in html
    assert f'data-src="/r/{result.id}/bicubic.png"' in html and f'data-src="/r/{result.id}/output.png"' in html
    for fmt in ("png", "webp", "jpeg"):
        assert f'href="/r/{result.id}/download.{fmt}"' in html
    assert re.search(r'data-estimate-ms="\d+"', html)


@pytest.mark.parametrize(("fmt", "content_type", "pil_format", "ext"),
                         [("webp", "image/webp", "WEBP", "webp"), ("jpeg", "image/jpeg", "JPEG", "jpg"),
                          ("png", "image/png", "PNG", "png")])
def test_download_in_each_format_for_the_owner_only(client, fmt, content_type, pil_format, ext):
    post_upload(client, make_image_bytes(9, 5), scale=2)
    result = Result.objects.get()
    response = client.get(f"/r/{result.id}/download.{fmt}")
    assert response.status_code == 200 and response["Content-Type"] == content_type
    assert response["Content-Disposition"].startswith("attachment;") and f'.{ext}"' in response["Content-Disposition"]
    with Image.open(io.BytesIO(b"".join(response.streaming_content))) as image:
        assert image.format == pil_format and image.size == (18, 10)
    assert Client().get(f"/r/{result.id}/download.{fmt}").status_code == 404
    assert client.get(f"/r/{result.id}/download.gif").status_code == 404


def test_benchmark_upload_serves_its_ground_truth(client):
    data = make_image_bytes(64, 48)
    upload = io.BytesIO(data)
    upload.name = "sharp.png"
    response = client.post("/", {"image": upload, "scale": 2, "model": "bicubic", "mode": "benchmark"})
    assert response.status_code == 302
    submission = Submission.objects.get()
    assert submission.kind == "benchmark" and (submission.width, submission.height) == (32, 24)
    result = submission.results.get()
    assert result.status == "succeeded" and result.psnr_y is not None
    truth = client.get(f"/s/{submission.id}/ground-truth.png")
    assert Image.open(io.BytesIO(b"".join(truth.streaming_content))).size == (64, 48)
    assert Client().get(f"/s/{submission.id}/ground-truth.png").status_code == 404
    html = client.get(f"/s/{submission.id}/").content.decode()
    assert "Ground truth" in html and 'data-metric="psnr_y"' in html and "gain less" in html
    assert client.get(f"/s/{submission.id}/status.json").json()["results"][0]["metrics"]["psnr_y"] == result.psnr_y


def test_ground_truth_of_a_plain_submission_is_404(client):
    post_upload(client, make_image_bytes())
    submission = Submission.objects.get()
    assert client.get(f"/s/{submission.id}/ground-truth.png").status_code == 404


# --- server rules reach the scripts only through json_script ------------------------------


STATIC = Path(__file__).resolve().parents[3] / "static"


def json_script(html: str, element_id: str):
    return json.loads(re.search(rf'<script id="{element_id}" type="application/json">(.*?)</script>', html).group(1))


def test_the_upload_page_passes_every_rule_its_script_checks(client):
    from upscaler.services.benchmarks import MIN_INPUT_SIDE
    from upscaler.web.forms import UploadForm, upload_extensions

    html = client.get("/").content.decode()
    limits = json_script(html, "upload-limits")
    assert limits["min_benchmark_side"] == MIN_INPUT_SIDE
    assert limits["formats"] == UploadForm.base_fields["image"].help_text == "PNG, JPEG, WebP, TIFF, BMP or GIF"
    assert limits["extensions"] == upload_extensions()
    assert {"png", "jpg", "jpeg", "tif", "gif"} <= set(limits["extensions"])
    # The page's own words come from the same place.
    assert f'{limits["formats"]} · up to' in html and f"at least {MIN_INPUT_SIDE} pixels" in html


def test_the_submission_page_passes_the_status_labels_and_close_code(client):
    from upscaler.notifications import CLOSE_FORBIDDEN

    post_upload(client, make_image_bytes(9, 5), scale=4)
    submission = Submission.objects.get()
    config = json_script(client.get(f"/s/{submission.id}/").content.decode(), "submission-config")
    assert config == {"status_labels": dict(Result.Status.choices), "close_forbidden": CLOSE_FORBIDDEN}


@pytest.mark.parametrize(
    "copied",
    ["4403", "MIN_BENCHMARK_SIDE = 16", '"Succeeded"', '"Cancelled"', "jpe?g", "PNG, JPEG", "services/"],
)
def test_no_server_constant_is_copied_into_the_scripts(copied):
    for script in STATIC.rglob("*.js"):
        assert copied not in script.read_text(), f"{copied!r} is copied into {script.name}"


# --- the pages' markup ----------------------------------------------------------------------


def test_the_submission_page_states_sizes_and_progress_in_words(client, recorded_jobs):
    post_upload(client, make_image_bytes(9, 5), scale=4)  # recorded, not run: stays queued
    submission = Submission.objects.get()
    html = client.get(f"/s/{submission.id}/").content.decode()
    assert "→ 36×20</span>" in html  # the output size before the job ran
    assert 'role="progressbar"' in html and 'aria-valuetext="Waiting"' in html


def test_the_benchmark_heading_names_the_photos_size(client):
    upload = io.BytesIO(make_image_bytes(64, 48))
    upload.name = "sharp.png"
    client.post("/", {"image": upload, "scale": 2, "model": "bicubic", "mode": "benchmark"})
    submission = Submission.objects.get()
    assert "Benchmark of a 64×48 photo" in client.get(f"/s/{submission.id}/").content.decode()


def test_the_file_input_is_named_by_the_dropzone_text(client):
    html = client.get("/").content.decode()
    assert re.search(r'<input type="file"[^>]*aria-labelledby="image-label"', html)
    assert re.search(r'<p id="image-label"><strong>Drop an image here</strong>', html)


def test_a_services_refusal_is_shown_on_the_field_it_names(client, monkeypatch):
    from django.core.exceptions import ValidationError

    from upscaler.services.quotas import QuotaExceededError
    from upscaler.web import views

    def refuse_scale(**kwargs):
        raise ValidationError({"scale": ValidationError("Not at this scale, sorry.", code="bad_scale")})

    monkeypatch.setattr(views, "submission_create", refuse_scale)
    html = post_upload(client, make_image_bytes()).content.decode()
    assert '<p class="field-error" role="alert">Not at this scale, sorry.</p>' in html

    def refuse_quota(**kwargs):  # names no field: it is about the image
        raise QuotaExceededError("Quota exceeded, come back later.", retry_after=60)

    monkeypatch.setattr(views, "submission_create", refuse_quota)
    html = post_upload(client, make_image_bytes()).content.decode()
    box = re.search(r'<div id="image-error" class="field-error" role="alert">(.*?)</div>', html).group(1)
    assert "Quota exceeded, come back later." in box


def test_the_tokens_page_names_each_revoke_button_and_shows_a_refusal_on_the_name(client, user):
    from upscaler.services.tokens import api_token_create

    api_token_create(user=user, name="laptop")
    client.force_login(user)
    html = client.get("/account/tokens/").content.decode()
    assert 'aria-label="Revoke laptop"' in html and "<th></th>" not in html
    duplicate = client.post("/account/tokens/", {"name": "laptop"}).content.decode()
    assert re.search(r'name="name"[^>]*>\s*(<small>[^<]*</small>\s*)?<span class="error" role="alert">You already',
                     duplicate)


@pytest.mark.django_db
def test_a_planted_session_cookie_never_owns_an_upload(media_root):
    """The review's M1: a session key the server never issued, planted in the victim's browser
    (cookie tossing from a sibling domain), must not become the owner of what they upload."""
    from django.conf import settings as django_settings

    planted = "attackerchosen0001attackerchosen01"
    victim, attacker = Client(), Client()
    for browser in (victim, attacker):
        browser.cookies[django_settings.SESSION_COOKIE_NAME] = planted
    response = post_upload(victim, make_image_bytes(9, 5))
    assert response.status_code == 302
    submission = Submission.objects.get()
    assert submission.session_key and submission.session_key != planted  # a key the server issued
    assert victim.get(response["Location"]).status_code == 200  # the victim keeps their upload
    assert attacker.get(response["Location"]).status_code == 404
    assert attacker.get(f"/s/{submission.id}/original").status_code == 404


@pytest.mark.django_db
def test_a_guests_uploads_move_to_the_account_at_sign_in(client, media_root):
    from django.contrib.auth import get_user_model

    response = post_upload(client, make_image_bytes(9, 5))
    submission = Submission.objects.get()
    assert submission.owner is None
    user = get_user_model().objects.create_user("grace", password="pw-grace-12345")
    signed_in = client.post("/account/login/", {"username": "grace", "password": "pw-grace-12345"})
    assert signed_in.status_code == 302
    submission.refresh_from_db()
    assert submission.owner == user and submission.session_key == ""
    assert client.get(response["Location"]).status_code == 200  # still theirs, under the new session
    other = Client()
    other.force_login(user)
    assert other.get(response["Location"]).status_code == 200  # and theirs from any browser now
