"""Brute-force protection on both sign-in pages (django-axes): the review's L9."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("login_url", ["/account/login/", "/admin/login/"])
def test_repeated_wrong_passwords_lock_the_username_from_that_address(settings, login_url):
    settings.AXES_FAILURE_LIMIT = 3
    get_user_model().objects.create_user("ada", password="right-password-1", is_staff=True)
    attacker = Client(REMOTE_ADDR="203.0.113.9")
    for _ in range(2):
        response = attacker.post(login_url, {"username": "ada", "password": "wrong"})
        assert response.status_code == 200  # the form again, with its error
    assert attacker.post(login_url, {"username": "ada", "password": "wrong"}).status_code == 429  # the 3rd
    # Locked now, even with the right password: guessing further gets nothing.
    locked = attacker.post(login_url, {"username": "ada", "password": "right-password-1"})
    assert locked.status_code == 429
    # Another address is not locked out with it: an attacker cannot lock a user out everywhere.
    owner = Client(REMOTE_ADDR="198.51.100.7")
    assert owner.post(login_url, {"username": "ada", "password": "right-password-1"}).status_code == 302
