"""The submissions API over HTTP (DRF test client, inline job runner): create in three ways,
every input error, idempotency, deduplication, read, list, cancel, re-run, delete, isolation."""

from __future__ import annotations

import base64
import io

import pytest
from PIL import Image
from rest_framework.test import APIClient

from upscaler.models import Result, Submission
from upscaler.tests.conftest import make_image_bytes, stored_files

pytestmark = pytest.mark.django_db(transaction=True)  # jobs run on commit (inline runner)

URL = "/api/v1/submissions/"


def upload(api, data: bytes | None = None, name="photo.png", **fields):
    fh = io.BytesIO(make_image_bytes(9, 5) if data is None else data)
    fh.name = name
    headers = {k: fields.pop(k) for k in list(fields) if k.startswith("HTTP_")}
    return api.post(URL, {"image": fh, **fields}, format="multipart", **headers)


def assert_error(response, status: int, code: str | None = None, field: str | None = None) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    error = response.json()["error"]
    assert set(error) <= {"code", "message", "fields"} and error["message"]
    if code is not None:
        assert error["code"] == code, error
    if field is not None:
        assert field in error["fields"] and all(error["fields"][field]), error
    return error


def nothing_stored(media_root) -> bool:
    return Submission.objects.count() == 0 and Result.objects.count() == 0 and stored_files(media_root) == []


# --- create ---------------------------------------------------------------------------------


def test_multipart_upload_is_accepted_and_runs(api, media_root):
    response = upload(api, scale=2)
    assert response.status_code == 202, response.content
    body = response.json()
    submission = Submission.objects.get()
    assert body["id"] == str(submission.id)
    assert response["Location"] == f"http://testserver/api/v1/submissions/{submission.id}/"
    assert body["links"]["self"] == response["Location"]
    assert body["links"]["websocket"] == f"ws://testserver/ws/submissions/{submission.id}/"
    assert body["image"]["width"] == 9 and body["image"]["height"] == 5
    # The inline runner ran the job on commit, before the response was built.
    assert body["status"] == "succeeded" and body["progress"] == 100
    (result,) = body["results"]
    assert result["model"] == "bicubic" and result["scale"] == 2 and result["format"] == "png"
    assert result["output"]["width"] == 18 and result["output"]["height"] == 10
    assert result["queue_position"] is None and result["finished_at"] is not None

    output = api.get(result["output"]["url"])
    assert output.status_code == 200 and output["Content-Type"] == "image/png"
    assert Image.open(io.BytesIO(b"".join(output.streaming_content))).size == (18, 10)
    original = api.get(body["image"]["url"])
    assert b"".join(original.streaming_content) == make_image_bytes(9, 5)


def test_base64_upload_with_default_scale_and_model(api):
    data = base64.b64encode(make_image_bytes(7, 3)).decode()
    response = api.post(URL, {"image_base64": data, "image_name": "a.png"}, format="json")
    assert response.status_code == 202, response.content
    (result,) = response.json()["results"]
    assert result["scale"] == 4 and result["model"] == "bicubic"
    assert (result["output"]["width"], result["output"]["height"]) == (28, 12)


def test_data_url_base64_is_accepted(api):
    data = "data:image/png;base64," + base64.b64encode(make_image_bytes()).decode()
    response = api.post(URL, {"image_base64": data, "image_name": "a.png", "scale": 2}, format="json")
    assert response.status_code == 202, response.content


@pytest.mark.parametrize(("fmt", "content_type", "pil_format"), [("webp", "image/webp", "WEBP"),
                                                                 ("jpeg", "image/jpeg", "JPEG")])
def test_output_format(api, fmt, content_type, pil_format):
    response = upload(api, scale=2, format=fmt)
    assert response.status_code == 202, response.content
    (result,) = response.json()["results"]
    assert result["format"] == fmt and result["output"]["content_type"] == content_type
    output = api.get(result["output"]["url"])
    assert output["Content-Type"] == content_type
    assert Image.open(io.BytesIO(b"".join(output.streaming_content))).format == pil_format


def test_default_model_comes_from_settings_and_must_offer_the_scale(api, settings, media_root):
    settings.UPSCALER_DEFAULT_MODEL = "no-such-model"
    assert_error(upload(api), 400, "unknown_model", "model")
    assert nothing_stored(media_root)


# --- input errors leave no row and no file --------------------------------------------------


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({}, "image"),
        ({"image_base64": "aGVsbG8=", "image_url": "http://example.com/a.png"}, "image"),
        ({"image_base64": "not base64!!", "image_name": "a.png"}, "image_base64"),
        ({"image_base64": "", "image_name": "a.png"}, "image_base64"),
        ({"image_url": "http://example.com/a.png", "scale": 5}, "scale"),
        ({"image_url": "http://example.com/a.png", "format": "gif"}, "format"),
        ({"image_url": "http://example.com/a.png", "callback_url": "not a url"}, "callback_url"),
    ],
    ids=["none", "two", "bad-base64", "empty-base64", "bad-scale", "bad-format", "bad-callback"],
)
def test_invalid_json_fields(api, media_root, payload, field):
    assert_error(api.post(URL, payload, format="json"), 400, "invalid", field)
    assert nothing_stored(media_root)


def test_image_and_base64_together_are_refused(api, media_root):
    fh = io.BytesIO(make_image_bytes())
    fh.name = "a.png"
    response = api.post(URL, {"image": fh, "image_base64": "aGVsbG8="}, format="multipart")
    error = assert_error(response, 400, "invalid", "image")
    assert "exactly one" in error["fields"]["image"][0]
    assert nothing_stored(media_root)


@pytest.mark.parametrize(
    ("data", "code"),
    [(b"GIF89a but not really", "unsupported_image"), (make_image_bytes(40, 40)[:80], "unsupported_image")],
    ids=["not-an-image", "truncated"],
)
def test_bad_images_are_refused(api, media_root, data, code):
    assert_error(upload(api, data), 400, code, "image")
    b64 = base64.b64encode(data).decode()
    assert_error(api.post(URL, {"image_base64": b64, "image_name": "x.png"}, format="json"), 400, code, "image")
    assert nothing_stored(media_root)


def test_empty_multipart_file_is_refused(api, media_root):
    assert_error(upload(api, b""), 400)
    assert nothing_stored(media_root)


def test_unknown_model_and_unavailable_scale(api, media_root):
    assert_error(upload(api, model="nope"), 400, "unknown_model", "model")
    assert nothing_stored(media_root)


def test_oversize_upload_and_output(api, settings, media_root):
    settings.UPSCALER_MAX_UPLOAD_BYTES = 100
    big = make_image_bytes(60, 60)
    assert len(big) > 100
    assert_error(upload(api, big), 400, "too_large", "image")
    b64 = base64.b64encode(big).decode()
    response = api.post(URL, {"image_base64": b64, "image_name": "x.png"}, format="json")
    assert_error(response, 400, None, "image_base64")
    settings.UPSCALER_MAX_UPLOAD_BYTES = 10_000_000
    settings.UPSCALER_MAX_OUTPUT_PIXELS = 100
    assert_error(upload(api, scale=8), 400, "too_large", "image")
    assert nothing_stored(media_root)


def test_json_body_over_the_limit_is_413(api, settings, media_root):
    settings.UPSCALER_MAX_UPLOAD_BYTES = 1000
    body = '{"image_base64": "' + "A" * 200_000 + '"}'
    response = api.post(URL, body, content_type="application/json")
    assert_error(response, 413, "too_large")
    assert nothing_stored(media_root)


def test_malformed_json_is_a_clean_400(api):
    response = api.post(URL, "{not json", content_type="application/json")
    assert_error(response, 400, "malformed_request")


def test_unknown_api_path_is_json_404(api):
    assert_error(api.get("/api/v1/nothing-here/"), 404, "not_found")


# --- idempotency and deduplication ----------------------------------------------------------


def test_idempotency_key_returns_the_first_submission(api, media_root):
    first = upload(api, HTTP_IDEMPOTENCY_KEY="retry-1", scale=2)
    assert first.status_code == 202
    # A retry of the same request returns the first submission.
    again = upload(api, HTTP_IDEMPOTENCY_KEY="retry-1", scale=2)
    assert again.status_code == 200 and again["X-Srsite-Reused"] == "idempotency_key"
    assert again.json()["id"] == first.json()["id"]
    assert Submission.objects.count() == 1 and Result.objects.count() == 1
    assert len([f for f in stored_files(media_root) if f.startswith("uploads/")]) == 1
    other = upload(api, make_image_bytes(11, 11), HTTP_IDEMPOTENCY_KEY="retry-2", scale=2)
    assert other.status_code == 202 and Submission.objects.count() == 2


@pytest.mark.parametrize("change", [
    {"data": make_image_bytes(11, 11)}, {"scale": 4}, {"model": "bicubic"}, {"format": "webp"},
])
def test_the_same_key_with_another_request_is_refused(api, media_root, change):
    first = upload(api, HTTP_IDEMPOTENCY_KEY="k1", scale=2)
    assert first.status_code == 202
    files_before = stored_files(media_root)
    fields = {"scale": 2, **change}
    error = assert_error(upload(api, fields.pop("data", None), HTTP_IDEMPOTENCY_KEY="k1", **fields),
                         422, "idempotency_key_reused")
    assert "k1" in error["message"]
    assert Submission.objects.count() == 1 and Result.objects.count() == 1
    assert stored_files(media_root) == files_before


def test_submissions_from_before_fingerprints_keep_answering_retries(api, media_root):
    first = upload(api, HTTP_IDEMPOTENCY_KEY="old", scale=2)
    Submission.objects.update(idempotency_fingerprint="")
    again = upload(api, make_image_bytes(11, 11), HTTP_IDEMPOTENCY_KEY="old", scale=2)
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]


def test_idempotency_keys_are_per_user(api, bob_api):
    a = upload(api, HTTP_IDEMPOTENCY_KEY="same", scale=2)
    b = upload(bob_api, HTTP_IDEMPOTENCY_KEY="same", scale=2)
    assert a.status_code == b.status_code == 202 and a.json()["id"] != b.json()["id"]


def test_idempotency_is_a_database_constraint(user):
    from django.db import IntegrityError, transaction

    def make():
        return Submission.objects.create(
            width=1, height=1, format="PNG", sha256="0" * 64, size_bytes=1, owner=user,
            created="2026-01-01T00:00:00Z", idempotency_key="k",
        )

    make()
    with pytest.raises(IntegrityError), transaction.atomic():
        make()


def test_bad_idempotency_key_is_refused(api):
    assert_error(upload(api, HTTP_IDEMPOTENCY_KEY="x" * 300), 400, "invalid", "Idempotency-Key")


def test_same_image_model_and_scale_returns_the_stored_result(api, media_root, monkeypatch):
    first = upload(api, scale=2)
    assert first.status_code == 202
    files_before = stored_files(media_root)

    from upscaler.integrations import engine_provider

    def must_not_run(*args, **kwargs):
        raise AssertionError("a duplicate must not be recomputed")

    monkeypatch.setattr(engine_provider, "get_upscaler", must_not_run)
    again = upload(api, scale=2)
    assert again.status_code == 200 and again["X-Srsite-Reused"] == "duplicate"
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["results"][0]["output"] is not None
    assert Result.objects.count() == 1 and stored_files(media_root) == files_before


def test_dedup_does_not_cross_users_scales_or_formats(api, bob_api):
    first = upload(api, scale=2).json()["id"]
    assert upload(bob_api, scale=2).status_code == 202
    assert upload(api, scale=3).json()["id"] != first
    assert upload(api, scale=2, format="webp").json()["id"] != first
    assert Submission.objects.count() == 4


# --- read, list -----------------------------------------------------------------------------


def test_detail_and_list_show_only_own_submissions(api, bob_api):
    mine = upload(api, scale=2).json()["id"]
    upload(api, make_image_bytes(3, 3), scale=2)
    theirs = upload(bob_api, scale=2).json()["id"]

    detail = api.get(f"{URL}{mine}/")
    assert detail.status_code == 200 and detail.json()["id"] == mine
    listing = api.get(URL).json()
    assert listing["count"] == 2 and theirs not in [s["id"] for s in listing["results"]]
    page = api.get(URL, {"page_size": 1}).json()
    assert len(page["results"]) == 1 and page["next"] is not None
    assert_error(api.get(URL, {"page": 99}), 404, "not_found")


def test_queue_position_of_queued_results(api, recorded_jobs):
    dispatched = recorded_jobs.result_ids  # recorded, not run: both stay queued
    first = upload(api, scale=2).json()
    second = upload(api, make_image_bytes(4, 4), scale=2).json()
    assert len(dispatched) == 2
    assert first["status"] == "queued" and first["queue_position"] == 1
    assert second["results"][0]["queue_position"] == 2 and second["results"][0]["output"] is None
    Result.objects.filter(submission_id=first["id"]).update(status="running")
    assert api.get(f"{URL}{second['id']}/").json()["queue_position"] == 1


# --- cancel, re-run, delete -----------------------------------------------------------------


def _queued_submission(api, **fields) -> dict:
    """A submission whose jobs stay queued (use with the recorded_jobs fixture)."""
    return upload(api, **fields).json()


def test_cancel(api, recorded_jobs):
    body = _queued_submission(api, scale=2)
    response = api.post(f"{URL}{body['id']}/cancel/")
    assert response.status_code == 200 and response.json()["status"] == "cancelled"
    assert Result.objects.get().status == "cancelled"
    assert_error(api.post(f"{URL}{body['id']}/cancel/"), 409, "already_finished")


def test_rerun_with_another_model_scale_and_format(api):
    body = upload(api, scale=2).json()
    response = api.post(f"{URL}{body['id']}/results/", {"scale": 3, "format": "webp"}, format="json")
    assert response.status_code == 202, response.content
    results = response.json()["results"]
    assert [(r["scale"], r["format"], r["status"]) for r in results] == [
        (2, "png", "succeeded"), (3, "webp", "succeeded")
    ]
    # The same again is not recomputed.
    again = api.post(f"{URL}{body['id']}/results/", {"scale": 3, "format": "webp"}, format="json")
    assert again.status_code == 200 and Result.objects.count() == 2
    assert_error(api.post(f"{URL}{body['id']}/results/", {"model": "nope"}, format="json"),
                 400, "unknown_model", "model")
    assert_error(api.post(f"{URL}{body['id']}/results/", {"scale": 7}, format="json"), 400, "invalid", "scale")


def test_delete_removes_rows_and_files(api, media_root):
    body = upload(api, scale=2).json()
    api.get(f"/r/{body['results'][0]['id']}/bicubic.png")  # (session-less: 404, makes nothing)
    from upscaler.services.references import result_reference_ensure

    result_reference_ensure(result=Result.objects.get())
    assert len(stored_files(media_root)) == 3  # original, output, bicubic reference
    response = api.delete(f"{URL}{body['id']}/")
    assert response.status_code == 204
    assert Submission.objects.count() == 0 and Result.objects.count() == 0
    assert stored_files(media_root) == []
    assert_error(api.get(f"{URL}{body['id']}/"), 404, "not_found")


# --- other users and anonymous clients ------------------------------------------------------


def test_other_users_get_404_for_everything(api, bob_api, media_root):
    body = upload(api, scale=2).json()
    sid, rid = body["id"], body["results"][0]["id"]
    files = stored_files(media_root)
    for response in (
        bob_api.get(f"{URL}{sid}/"),
        bob_api.post(f"{URL}{sid}/cancel/"),
        bob_api.delete(f"{URL}{sid}/"),
        bob_api.post(f"{URL}{sid}/results/", {"scale": 3}, format="json"),
        bob_api.get(f"{URL}{sid}/original/"),
        bob_api.get(f"/api/v1/results/{rid}/output/"),
    ):
        assert_error(response, 404, "not_found")
    assert bob_api.get(URL).json()["count"] == 0
    assert Submission.objects.filter(pk=sid).exists() and Result.objects.count() == 1
    assert stored_files(media_root) == files


def test_anonymous_use_is_off_by_default(db, client):
    for response in (APIClient().get(URL), APIClient().get("/api/v1/models/"),
                     APIClient().post(URL, {}, format="json")):
        assert_error(response, 401, "not_authenticated")
    bad = APIClient()
    bad.credentials(HTTP_AUTHORIZATION="Token srs_wrong")
    assert_error(bad.get(URL), 401, "authentication_failed")


def test_anonymous_use_when_allowed_is_tied_to_the_session(db, settings):
    settings.UPSCALER_API_ALLOW_ANONYMOUS = True
    guest = APIClient()
    response = upload(guest, scale=2)
    assert response.status_code == 202, response.content
    sid = response.json()["id"]
    assert guest.get(f"{URL}{sid}/").status_code == 200
    assert_error(APIClient().get(f"{URL}{sid}/"), 404, "not_found")


def test_session_auth_enforces_csrf(user):
    browser = APIClient(enforce_csrf_checks=True)
    browser.force_login(user)
    assert browser.get(URL).status_code == 200
    assert_error(upload(browser, scale=2), 403, "permission_denied")
    assert Submission.objects.count() == 0


def test_models_endpoint(api):
    response = api.get("/api/v1/models/")
    assert response.status_code == 200
    bicubic = next(m for m in response.json() if m["name"] == "bicubic")
    assert bicubic["scales"] == [2, 3, 4, 8] and bicubic["description"]
    assert bicubic["default_for_scales"] == [2, 3, 4, 8]


def test_rerun_of_a_published_submission_returns_it_to_review(api):
    body = upload(api, scale=2).json()
    Submission.objects.filter(pk=body["id"]).update(review_state=Submission.ReviewState.FEATURED)
    assert api.post(f"{URL}{body['id']}/results/", {"scale": 3}, format="json").status_code == 202
    # Its newest result has not been reviewed: out of the gallery until a reviewer looks.
    assert Submission.objects.get(pk=body["id"]).review_state == Submission.ReviewState.PENDING
    Submission.objects.filter(pk=body["id"]).update(review_state=Submission.ReviewState.APPROVED)
    # Asking again for a result that exists creates nothing, so nothing needs review.
    assert api.post(f"{URL}{body['id']}/results/", {"scale": 3}, format="json").status_code == 200
    assert Submission.objects.get(pk=body["id"]).review_state == Submission.ReviewState.APPROVED


def test_service_refusals_keep_the_field_they_name_and_one_naming_none_is_about_the_request():
    from django.core.exceptions import ValidationError

    from upscaler.api.errors import exception_handler

    named = ValidationError({"scale": ValidationError("Not ×5.", code="bad_scale")})
    assert exception_handler(named, {}).data == {
        "error": {"code": "bad_scale", "message": "Not ×5.", "fields": {"scale": ["Not ×5."]}}
    }
    unnamed = exception_handler(ValidationError("No.", code="nope"), {})
    assert unnamed.status_code == 400
    assert unnamed.data == {"error": {"code": "nope", "message": "No.", "fields": {"non_field_errors": ["No."]}}}
