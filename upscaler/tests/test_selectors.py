"""Selectors of the browser pages: time estimates from recent results, upload options, status."""

import pytest

from upscaler import selectors
from upscaler.models import Result
from upscaler.tests.support.factories import create_submission

pytestmark = pytest.mark.django_db(transaction=True)


def finished(*, ms: int, width: int, height: int, model: str = "bicubic", status=Result.Status.SUCCEEDED):
    """A succeeded result whose recorded speed is `ms` for a `width`x`height` output."""
    submission = create_submission(width=width // 2, height=height // 2, scale=2)
    result = submission.results.get()
    Result.objects.filter(pk=result.pk).update(inference_ms=ms, model_name=model, status=status)
    return result


def test_without_history_the_default_of_the_model_kind_is_used():
    assert selectors.model_ms_per_megapixel(model_name="bicubic", kind="bicubic") == 60.0
    assert selectors.model_ms_per_megapixel(model_name="srresnet", kind="srresnet") == 4000.0
    assert selectors.model_ms_per_megapixel(model_name="x", kind="unheard-of") == selectors.FALLBACK_MS_PER_MEGAPIXEL


def test_the_median_speed_of_recent_succeeded_results_is_used():
    # 1 MP outputs (1000x1000) at 100, 300 and 200 ms, a 0.25 MP one at 1000 ms (4000 ms/MP).
    for ms in (100, 300, 200):
        finished(ms=ms, width=1000, height=1000)
    assert selectors.model_ms_per_megapixel(model_name="bicubic", kind="bicubic") == pytest.approx(200)
    finished(ms=1000, width=500, height=500)
    assert selectors.model_ms_per_megapixel(model_name="bicubic", kind="bicubic") == pytest.approx(250)
    # Failures and other models do not count.
    finished(ms=99_999, width=1000, height=1000, status=Result.Status.FAILED)
    finished(ms=99_999, width=1000, height=1000, model="other")
    assert selectors.model_ms_per_megapixel(model_name="bicubic", kind="bicubic") == pytest.approx(250)
    assert selectors.result_estimate_ms(model_name="bicubic", output_pixels=4_000_000) == 1000


def test_upload_options_list_each_model_with_its_scales_and_speed():
    options = {m["name"]: m for m in selectors.upload_model_options()}
    assert options["bicubic"]["scales"] == [2, 3, 4, 8]
    assert options["bicubic"]["kind"] == "bicubic"
    assert options["bicubic"]["ms_per_megapixel"] == 60.0


def test_status_has_the_events_plus_queue_positions(monkeypatch, recorded_jobs):

    first = create_submission(run=False)
    second = create_submission(run=False)
    status = selectors.submission_status_payload(submission=second)
    assert status["final"] is False
    [event] = status["results"]
    assert event["status"] == "queued" and event["queue_position"] == 2 and event["metrics"] is None
    assert set(event) >= {"result", "progress", "tiles_done", "tiles_total", "output_url", "final"}
    assert selectors.submission_status_payload(submission=first)["results"][0]["queue_position"] == 1


def _request(user=None):
    from django.contrib.auth.models import AnonymousUser
    from django.contrib.sessions.backends.db import SessionStore
    from django.test import RequestFactory

    request = RequestFactory().get("/")
    request.user = user or AnonymousUser()
    request.session = SessionStore()
    return request


def test_the_viewer_of_a_request_starts_a_session_only_when_asked():
    request = _request()
    assert selectors.request_viewer(request) == {"user": request.user, "session_key": None}
    started = selectors.request_viewer(request, start_session=True)
    assert started["session_key"] and started["session_key"] == request.session.session_key


def test_the_owner_of_a_request_is_the_user_or_none(user):
    anonymous = _request()
    owner = selectors.request_owner(anonymous)
    # An anonymous visitor owns through their (now started) session, never as a user object.
    assert owner == {"owner": None, "session_key": anonymous.session.session_key} and owner["session_key"]
    assert selectors.request_owner(_request(user))["owner"] == user


def test_a_models_title_has_its_name_beside_the_label_unless_the_label_says_it(photo_model):
    assert selectors.model_title(label="Faithful", model_name="srresnet") == "Faithful (srresnet)"
    assert selectors.model_title(label="Bicubic (baseline)", model_name="bicubic") == "Bicubic (baseline)"
    assert selectors.model_title(label="esrgan", model_name="esrgan") == "esrgan"  # third-party: its name
    assert (selectors.model_title(label="Photo, sharper — may invent detail", model_name="photo-sharp")
            == "Photo, sharper — may invent detail (photo-sharp)")
    # A stored reason in people's words; a model this server no longer has keeps its name.
    assert selectors.model_choice_text(reason="PNG, clean: srresnet", model_name="srresnet") == (
        "PNG, clean: Faithful (srresnet)")
    assert selectors.model_choice_text(reason="JPEG, quality ≈ 70: gone (no photo model at this scale)",
                                       model_name="gone") == "JPEG, quality ≈ 70: gone (no photo model at this scale)"
    assert selectors.model_choice_text(reason="", model_name="srresnet") == ""
