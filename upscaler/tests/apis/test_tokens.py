"""API tokens: the management command, the tokens page (create, show once, revoke), hashing,
and token authentication of websockets."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from rest_framework.test import APIClient

from upscaler.models import ApiToken
from upscaler.tests.support.wsclient import first_message

pytestmark = pytest.mark.django_db(transaction=True)


def client_with(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def test_command_creates_the_user_and_prints_a_working_token():
    out = StringIO()
    call_command("create_api_token", "carol", stdout=out, stderr=StringIO())
    key = out.getvalue().strip()
    assert re.fullmatch(r"srs_[A-Za-z0-9_-]{40,}", key)
    user = get_user_model().objects.get(username="carol")
    assert not user.has_usable_password()
    token = ApiToken.objects.get(user=user)
    assert key not in (token.key_hash, token.prefix) and token.key_hash == ApiToken.hash_key(key)
    response = client_with(key).get("/api/v1/submissions/")
    assert response.status_code == 200
    token.refresh_from_db()
    assert token.last_used is not None


def test_command_adds_tokens_to_an_existing_user(user):
    keys = set()
    for _ in range(2):
        out = StringIO()
        call_command("create_api_token", user.username, stdout=out)
        keys.add(out.getvalue().strip())
    assert len(keys) == 2 and ApiToken.objects.filter(user=user).count() == 2
    user.refresh_from_db()
    assert user.check_password("pw-alice-123")  # untouched


def test_tokens_page_needs_sign_in(client):
    response = client.get("/account/tokens/")
    assert response.status_code == 302 and response["Location"].startswith("/account/login/")


def test_login_page_and_nav(client, user):
    page = client.get("/account/login/")
    assert page.status_code == 200 and 'name="username"' in page.content.decode()
    response = client.post("/account/login/", {"username": "alice", "password": "pw-alice-123"})
    assert response.status_code == 302 and response["Location"] == "/account/tokens/"
    html = client.get("/").content.decode()
    assert 'href="/account/tokens/"' in html and 'action="/account/logout/"' in html
    assert client.post("/account/logout/").status_code == 302
    assert 'href="/account/login/"' in client.get("/").content.decode()


def test_create_on_the_page_shows_the_key_once_then_revoke(client, user):
    client.force_login(user)
    response = client.post("/account/tokens/", {"name": "laptop"})
    assert response.status_code == 201 and response["Cache-Control"] == "no-store"
    key = re.search(r'<code id="new-token-key">([^<]+)</code>', response.content.decode()).group(1)
    assert client_with(key).get("/api/v1/models/").status_code == 200

    listing = client.get("/account/tokens/").content.decode()
    assert "laptop" in listing and key not in listing and key[:12] in listing
    duplicate = client.post("/account/tokens/", {"name": "laptop"})
    assert duplicate.status_code == 400 and "already have a token named" in duplicate.content.decode()

    token = ApiToken.objects.get(user=user, name="laptop")
    assert client.post(f"/account/tokens/{token.id}/revoke").status_code == 302
    assert not ApiToken.objects.filter(pk=token.pk).exists()
    assert client_with(key).get("/api/v1/models/").status_code == 401


def test_cannot_revoke_someone_elses_token(client, user, bob):
    from upscaler.services.tokens import api_token_create

    token, key = api_token_create(user=bob, name="bobs")
    client.force_login(user)
    assert client.post(f"/account/tokens/{token.id}/revoke").status_code == 404
    assert client_with(key).get("/api/v1/models/").status_code == 200


def test_inactive_users_tokens_stop_working(user):
    from upscaler.services.tokens import api_token_create

    _token, key = api_token_create(user=user, name="t")
    user.is_active = False
    user.save()
    assert client_with(key).get("/api/v1/models/").status_code == 401


def test_websocket_accepts_the_token_header(api, user, bob):
    """Scripts subscribe with the same Authorization header; other users' tokens are closed out."""
    from srsite.asgi import application
    from upscaler.services.tokens import api_token_create
    from upscaler.tests.apis.test_submissions import upload

    sid = upload(api, scale=2).json()["id"]
    _t, bob_key = api_token_create(user=bob, name="b")

    def connect(key):
        headers = [(b"origin", b"http://testserver"), (b"host", b"testserver"),
                   (b"authorization", f"Token {key}".encode())]
        message = first_message(application, f"/ws/submissions/{sid}/", headers)
        assert message is not None  # accepted; ownership is checked after the handshake
        return message

    first = connect(api.key)
    assert first["type"] == "websocket.send" and '"status": "succeeded"' in first["text"]
    closed = connect(bob_key)
    assert closed == {"type": "websocket.close", "code": 4403}


def test_scripts_with_a_token_need_no_origin_but_everyone_else_is_checked(api, user):
    """Websocket libraries send no Origin; browsers always do, and they are the ones to check."""
    from srsite.asgi import application
    from upscaler.tests.apis.test_submissions import upload

    sid = upload(api, scale=2).json()["id"]
    token = (b"authorization", f"Token {api.key}".encode())

    def connects(*headers) -> bool:
        path = f"/ws/submissions/{sid}/"
        return first_message(application, path, [(b"host", b"testserver"), *headers]) is not None

    assert connects(token)
    assert not connects(token, (b"origin", b"http://evil.example"))
    assert not connects()  # no token, no Origin: refused as before
    assert not connects((b"authorization", b"Bearer x"))
