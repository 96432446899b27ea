"""The API says which model was chosen and why (`model_choice`), never replaces a named model, and
lists each model's label; the schema describes both."""

from __future__ import annotations

import io

import pytest

from upscaler.tests.conftest import make_image_bytes, make_jpeg_bytes
from upscaler.tests.support.weights import write_weights_header

pytestmark = pytest.mark.django_db(transaction=True)  # jobs run on commit (inline runner)

URL = "/api/v1/submissions/"


def upload(api, data: bytes, name="photo.jpg", **fields):
    fh = io.BytesIO(data)
    fh.name = name
    return api.post(URL, {"image": fh, **fields}, format="multipart")


def test_with_no_model_the_result_says_what_was_chosen_and_why(api, photo_model, fake_upscaler):
    response = upload(api, make_jpeg_bytes(quality=70))
    assert response.status_code == 202, response.content
    (result,) = response.json()["results"]
    assert result["model"] == "photo" and result["model_label"] == "Photo (JPEG, noise)"
    assert result["model_choice"] == {"automatic": True, "reason": "JPEG, quality ≈ 70: photo"}
    assert result["status"] == "succeeded"
    clean = upload(api, make_image_bytes(40, 30), name="clean.png").json()["results"][0]
    assert (clean["model"], clean["model_label"]) == ("srresnet", "Faithful")
    assert clean["model_choice"] == {"automatic": True, "reason": "PNG, clean: srresnet"}
    # The same on reading it back.
    detail = api.get(response.json()["links"]["self"]).json()
    assert detail["results"][0]["model_choice"]["reason"] == "JPEG, quality ≈ 70: photo"


def test_a_named_model_is_never_overridden(api, photo_model, fake_upscaler):
    body = upload(api, make_jpeg_bytes(quality=70), model="srresnet").json()
    (result,) = body["results"]
    assert result["model"] == "srresnet"
    assert result["model_choice"] == {"automatic": False, "reason": ""}
    rerun = api.post(f"{URL}{body['id']}/results/", {"model": "bicubic"}, format="json").json()
    assert rerun["results"][-1]["model_choice"] == {"automatic": False, "reason": ""}


def test_without_a_photo_model_at_the_scale_the_reason_says_so(api, photo_model, fake_upscaler):
    result = upload(api, make_jpeg_bytes(quality=70), scale=2).json()["results"][0]
    assert result["model"] == "srresnet"
    assert result["model_choice"]["reason"] == "JPEG, quality ≈ 70: srresnet (no photo model at this scale)"


def test_bad_input_keeps_the_one_error_shape(api, photo_model):
    response = upload(api, b"GIF89a but not really", name="a.gif")
    assert response.status_code == 400
    assert response.json() == {"error": {
        "code": "unsupported_image", "message": response.json()["error"]["message"],
        "fields": {"image": [response.json()["error"]["message"]]},
    }}


def test_the_model_list_gives_each_models_label(api, photo_model):
    write_weights_header(photo_model / "mine-x4.safetensors", "mine", 4, label="My own")
    write_weights_header(photo_model / "other-x4.safetensors", "other", 4)
    labels = {m["name"]: m["label"] for m in api.get("/api/v1/models/").json()}
    assert labels == {"bicubic": "Bicubic (baseline)", "srresnet": "Faithful", "photo": "Photo (JPEG, noise)",
                      "mine": "My own", "other": "other"}


def test_the_schema_describes_the_choice_and_the_labels(client):
    components = client.get("/api/schema/?format=json").json()["components"]["schemas"]
    result = components["ResultOutput"]["properties"]
    assert {"model", "model_label", "model_choice"} <= set(result)
    assert result["model_choice"]["allOf"] == [{"$ref": "#/components/schemas/ModelChoice"}]
    assert set(components["ModelChoice"]["properties"]) == set(components["ModelChoice"]["required"]) == {
        "automatic", "reason"}
    assert "label" in components["EngineModel"]["properties"]
    create = components["SubmissionCreateInputRequest"]["properties"]["model"]
    assert "chosen from the file" in create["description"]
