"""Who reaches the admin: reviewers review but cannot manage users; non-staff users cannot enter.
The data migration gives the reviewer group exactly the review permissions."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from upscaler.models import Submission
from upscaler.tests.admin.conftest import CHANGELIST, post_action
from upscaler.tests.support.factories import create_submission

pytestmark = pytest.mark.django_db


def test_migration_creates_the_reviewer_group_with_exactly_the_review_permissions():
    group = Group.objects.get(name="reviewer")
    permissions = {(p.content_type.app_label, p.codename) for p in group.permissions.all()}
    assert permissions == {
        ("upscaler", "view_submission"),
        ("upscaler", "change_submission"),
        ("upscaler", "review_submission"),
        ("upscaler", "view_result"),
        ("upscaler", "change_result"),
    }


@pytest.mark.parametrize(
    "url",
    ["/admin/auth/user/", "/admin/auth/user/add/", "/admin/auth/group/", "/admin/auth/group/add/"],
)
def test_reviewer_cannot_reach_user_management(reviewer_client, reviewer, url):
    response = reviewer_client.get(url)
    assert response.status_code == 403
    assert reviewer_client.get(f"/admin/auth/user/{reviewer.pk}/change/").status_code == 403


def test_reviewer_sees_only_the_upscaler_app(reviewer_client):
    html = reviewer_client.get("/admin/").content.decode()
    assert CHANGELIST in html and "/admin/upscaler/result/" in html
    assert "/admin/auth/" not in html


def test_reviewer_can_review_but_not_delete(reviewer_client):
    submission = create_submission()
    page = reviewer_client.get(CHANGELIST).content.decode()
    for action in ("approve", "reject", "feature", "unfeature", "rerun"):
        assert f'value="{action}"' in page
    assert 'value="delete_with_files"' not in page and 'value="delete_selected"' not in page

    post_action(reviewer_client, "delete_with_files", [submission], apply="1")
    assert Submission.objects.filter(pk=submission.pk).exists()
    assert reviewer_client.get(f"{CHANGELIST}{submission.pk}/delete/").status_code == 403


@pytest.mark.parametrize("url", ["/admin/", CHANGELIST, "/admin/upscaler/result/"])
def test_non_staff_user_cannot_reach_the_admin(client, url):
    user = get_user_model().objects.create_user("bob", password="pw-bob-123")
    user.groups.add(Group.objects.get(name="reviewer"))  # the group alone is not enough
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")


def test_anonymous_is_sent_to_the_login_page(client):
    response = client.get(CHANGELIST)
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")


def test_staff_without_the_group_cannot_review(client):
    staff = get_user_model().objects.create_user("sam", password="pw-sam-123", is_staff=True)
    client.force_login(staff)
    assert client.get(CHANGELIST).status_code == 403
