"""Admin users: a reviewer (staff in the `reviewer` group made by the data migration), a plain
user, and a superuser."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group


@pytest.fixture
def reviewer(db):
    user = get_user_model().objects.create_user("rita", password="pw-rita-123", is_staff=True)
    user.groups.add(Group.objects.get(name="reviewer"))
    return user


@pytest.fixture
def reviewer_client(client, reviewer):
    client.force_login(reviewer)
    return client


@pytest.fixture
def superuser(db):
    return get_user_model().objects.create_superuser("root", password="pw-root-123")


CHANGELIST = "/admin/upscaler/submission/"


def post_action(client, action: str, submissions, **data):
    return client.post(
        CHANGELIST, {"action": action, "_selected_action": [str(s.pk) for s in submissions], **data}
    )
