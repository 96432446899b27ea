"""The review queue over HTTP: list, filters, search, each bulk action, the change page."""

import io

import pytest
from django.contrib.auth import get_user_model
from django.contrib.messages import get_messages
from PIL import Image

from gallery.selectors import gallery_items
from upscaler.jobs import dispatch
from upscaler.models import Result, Submission
from upscaler.tests.admin.conftest import CHANGELIST, post_action
from upscaler.tests.conftest import stored_files
from upscaler.tests.support.factories import create_submission

pytestmark = pytest.mark.django_db

State = Submission.ReviewState


def in_gallery(submission) -> bool:
    return gallery_items().filter(pk=submission.pk).exists()


def states(*submissions) -> list[str]:
    return [Submission.objects.get(pk=s.pk).review_state for s in submissions]


def test_list_shows_thumbnails_metrics_and_newest_pending_first(reviewer_client):
    old_pending = create_submission()
    approved = create_submission(review_state=State.APPROVED)
    new_pending = create_submission()
    owner = get_user_model().objects.create_user("olga", password="pw-olga-123")
    owned = create_submission(owner=owner, review_state=State.REJECTED)

    response = reviewer_client.get(CHANGELIST)
    assert response.status_code == 200
    html = response.content.decode()
    result = new_pending.results.get()
    assert f"/s/{new_pending.id}/thumb.png" in html and f"/r/{result.id}/thumb.png" in html
    assert "olga" in html and "guest" in html and "bicubic" in html and "Pending review" in html
    rows = list(response.context["cl"].result_list)
    assert rows == [new_pending, old_pending, owned, approved]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("review_state__exact=approved", {"approved"}),
        ("result_status=failed", {"failed"}),
        ("model=bicubic", {"approved", "pending", "failed"}),
        ("model=other", set()),
    ],
)
def test_filters(reviewer_client, query, expected):
    made = {
        "approved": create_submission(review_state=State.APPROVED),
        "pending": create_submission(),
        "failed": create_submission(run=False),
    }
    Result.objects.filter(submission=made["failed"]).update(status="failed", error="boom")
    rows = reviewer_client.get(f"{CHANGELIST}?{query}").context["cl"].result_list
    assert {name for name, s in made.items() if s in rows} == expected


def test_search_by_owner(reviewer_client):
    owner = get_user_model().objects.create_user("olga", password="pw-olga-123")
    mine, other = create_submission(owner=owner), create_submission()
    rows = list(reviewer_client.get(f"{CHANGELIST}?q=olga").context["cl"].result_list)
    assert mine in rows and other not in rows


def test_approve_action_records_the_reviewer_and_publishes(reviewer_client, reviewer):
    a, b = create_submission(), create_submission()
    response = post_action(reviewer_client, "approve", [a, b])
    assert response.status_code == 302
    assert states(a, b) == ["approved", "approved"]
    assert Submission.objects.get(pk=a.pk).reviewed_by == reviewer
    assert in_gallery(a) and in_gallery(b)


def test_reject_action_asks_for_a_reason_first(reviewer_client):
    submission = create_submission(review_state=State.APPROVED)
    page = post_action(reviewer_client, "reject", [submission])
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="reason"' in html and f'value="{submission.pk}"' in html
    assert states(submission) == ["approved"]

    page = post_action(reviewer_client, "reject", [submission], apply="1", reason="   ")
    assert page.status_code == 200 and "This field is required" in page.content.decode()
    assert states(submission) == ["approved"] and in_gallery(submission)

    response = post_action(reviewer_client, "reject", [submission], apply="1", reason="Not suitable")
    assert response.status_code == 302
    submission.refresh_from_db()
    assert submission.review_state == "rejected" and submission.rejection_reason == "Not suitable"
    assert not in_gallery(submission)


def test_feature_and_unfeature_actions(reviewer_client):
    a, b = create_submission(review_state=State.APPROVED), create_submission()
    post_action(reviewer_client, "feature", [a, b])
    assert states(a, b) == ["featured", "featured"]
    assert list(gallery_items()) == [b, a]
    post_action(reviewer_client, "unfeature", [a])
    assert states(a, b) == ["approved", "featured"]
    assert list(gallery_items()) == [b, a] and in_gallery(a)


def test_rerun_action_lists_models_then_queues_and_runs_new_results(
    reviewer_client, django_capture_on_commit_callbacks
):
    a, b = create_submission(scale=2), create_submission(scale=2)
    page = post_action(reviewer_client, "rerun", [a, b])
    assert page.status_code == 200
    html = page.content.decode()
    assert '<option value="bicubic"' in html and '<option value="3"' in html

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = post_action(reviewer_client, "rerun", [a, b], apply="1", model="bicubic", scale="3")
    assert response.status_code == 302
    dispatches = [c for c in callbacks if getattr(c, "func", None) is dispatch.enqueue
                  and c.args == ("upscaler.result_process",)]
    assert len(dispatches) == 2  # one per new result
    for submission in (a, b):
        new = submission.results.get(scale=3)
        assert (new.model_name, new.status) == ("bicubic", "succeeded")  # inline runner
        assert (new.output_width, new.output_height) == (24, 18)


def test_rerun_action_shows_the_services_refusal_and_queues_nothing(reviewer_client, settings):
    submission = create_submission(width=8, height=6)
    page = post_action(reviewer_client, "rerun", [submission], apply="1", model="bicubic", scale="9")
    assert page.status_code == 200 and "Select a valid choice" in page.content.decode()

    settings.UPSCALER_MAX_OUTPUT_PIXELS = 8 * 6 * 3 * 3
    page = post_action(reviewer_client, "rerun", [submission], apply="1", model="bicubic", scale="4")
    assert page.status_code == 200
    assert "more than this server&#x27;s limit" in page.content.decode()
    assert submission.results.count() == 1


def test_delete_action_removes_rows_and_files_for_a_superuser(
    client, superuser, media_root, django_capture_on_commit_callbacks
):
    doomed, kept = create_submission(), create_submission()
    client.force_login(superuser)
    assert client.get(f"{CHANGELIST}?q={doomed.id}").status_code == 200  # renders thumbnails' links
    assert client.get(f"/r/{doomed.results.get().id}/thumb.png").status_code == 200  # make one
    page = post_action(client, "delete_with_files", [doomed])
    assert page.status_code == 200 and "Yes, delete" in page.content.decode()
    assert Submission.objects.filter(pk=doomed.pk).exists()

    with django_capture_on_commit_callbacks(execute=True):
        response = post_action(client, "delete_with_files", [doomed], apply="1")
    assert response.status_code == 302
    assert "Deleted 1 submission." in [str(m) for m in get_messages(response.wsgi_request)]
    assert list(Submission.objects.all()) == [kept]
    remaining = stored_files(media_root)
    assert remaining and not [f for f in remaining if str(doomed.id) in f]
    assert all(str(kept.id) in f or str(kept.results.get().id) in f for f in remaining)


def test_change_page_shows_comparison_metrics_and_errors_read_only(reviewer_client):
    submission = create_submission(scale=2)
    done = submission.results.get()
    failed = Result.objects.create(
        submission=submission, model_name="bicubic", scale=4, queued_at=done.queued_at,
        status="failed", error="CUDA out of memory at the smallest tile",
    )
    response = reviewer_client.get(f"{CHANGELIST}{submission.pk}/change/")
    assert response.status_code == 200
    html = response.content.decode()
    assert f"/r/{done.id}/bicubic.png" in html and f"/r/{done.id}/output.png" in html
    assert f"{done.inference_ms} ms" in html and "16×12" in html
    assert failed.error in html
    # Nothing is editable: no input for the review state or the reason.
    assert 'name="review_state"' not in html and 'name="rejection_reason"' not in html
    assert 'name="_save"' not in html and 'name="_continue"' not in html  # nothing to save
    assert f"/admin/upscaler/result/{done.id}/change/" in html  # results inline with links

    result_page = reviewer_client.get(f"/admin/upscaler/result/{done.id}/change/")
    assert result_page.status_code == 200 and f"/r/{done.id}/bicubic.png" in result_page.content.decode()
    assert 'name="_save"' not in result_page.content.decode()


def test_reviewer_can_fetch_any_submission_files_others_cannot(reviewer_client, client):
    submission = create_submission(width=400, height=300)
    result = submission.results.get()
    response = reviewer_client.get(f"/s/{submission.id}/thumb.png")
    assert response.status_code == 200
    with Image.open(io.BytesIO(b"".join(response.streaming_content))) as thumb:
        assert max(thumb.size) == 160
    assert reviewer_client.get(f"/r/{result.id}/output.png").status_code == 200
    reviewer_client.logout()
    for url in (f"/s/{submission.id}/thumb.png", f"/r/{result.id}/output.png", f"/s/{submission.id}/original"):
        assert reviewer_client.get(url).status_code == 404, url
