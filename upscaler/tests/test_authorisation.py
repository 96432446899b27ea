"""Who reaches what, as a matrix: alice (signed in), a guest (anonymous session) and strangers
(bob, another guest, bob's API token) against every page, file URL, API endpoint and the
websocket of each other's submissions; CSRF on every form; the admin for staff only; the
security headers of pages and files."""

from __future__ import annotations

import itertools
import re

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.test import Client
from rest_framework.test import APIClient

from srsite.asgi import application
from upscaler.models import Result, Submission
from upscaler.realtime.consumers import CLOSE_FORBIDDEN
from upscaler.services.tokens import api_token_create
from upscaler.tests.conftest import make_image_bytes
from upscaler.tests.support.wsclient import first_message

pytestmark = pytest.mark.django_db(transaction=True)  # jobs run on commit (inline runner)

User = get_user_model()


def upload(client: Client) -> Submission:
    from django.core.files.uploadedfile import SimpleUploadedFile

    image = SimpleUploadedFile("p.png", make_image_bytes(9, 5), "image/png")
    response = client.post("/", {"image": image, "scale": 2, "model": "bicubic", "mode": "upscale"})
    assert response.status_code == 302, response.content[:500]
    return Submission.objects.get(pk=response["Location"].split("/")[2])


def page_urls(submission: Submission) -> list[str]:
    result = submission.results.get()
    s, r = f"/s/{submission.id}", f"/r/{result.id}"
    return [f"{s}/", f"{s}/status.json", f"{s}/original", f"{s}/thumb.png", f"{s}/ground-truth.png",
            f"{r}/output.png", f"{r}/download.png", f"{r}/download.webp", f"{r}/download.jpeg",
            f"{r}/bicubic.png", f"{r}/thumb.png", f"/gallery/{submission.id}/"]


def api_calls(submission: Submission) -> list[tuple[str, str, dict]]:
    result = submission.results.get()
    base = f"/api/v1/submissions/{submission.id}/"
    return [("get", base, {}), ("get", f"{base}original/", {}), ("get", f"/api/v1/results/{result.id}/output/", {}),
            ("post", f"{base}cancel/", {}), ("post", f"{base}results/", {"scale": 4, "model": "bicubic"}),
            ("delete", base, {})]


_token_names = itertools.count()


def token_client(user) -> APIClient:
    _token, key = api_token_create(user=user, name=f"authz-{next(_token_names)}")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def websocket_close_code(submission: Submission, client: Client) -> int | None:
    """The close code a websocket subscriber gets (None: accepted and sent the state)."""
    cookie = client.cookies.get(django_settings.SESSION_COOKIE_NAME)
    headers = [(b"origin", b"http://127.0.0.1:8000")]
    if cookie is not None:
        headers.append((b"cookie", f"{django_settings.SESSION_COOKIE_NAME}={cookie.value}".encode()))

    message = first_message(application, f"/ws/submissions/{submission.id}/", headers)
    assert message is not None  # the handshake is accepted; ownership is checked after it
    return message.get("code") if message["type"] == "websocket.close" else None


@pytest.fixture
def people(db):
    alice = User.objects.create_user("alice", password="pw-alice-123")
    bob = User.objects.create_user("bob", password="pw-bob-123")
    alice_client, bob_client, guest, other_guest = Client(), Client(), Client(), Client()
    alice_client.force_login(alice)
    bob_client.force_login(bob)
    other_guest.get("/")
    return {"alice": alice, "bob": bob, "alice_client": alice_client, "bob_client": bob_client,
            "guest": guest, "other_guest": other_guest}


def test_nobody_reaches_another_ones_submission(people):
    alices = upload(people["alice_client"])
    guests = upload(people["guest"])
    assert alices.results.get().status == guests.results.get().status == "succeeded"
    strangers = {
        alices: {"bob": people["bob_client"], "guest": people["guest"], "other guest": people["other_guest"]},
        guests: {"alice": people["alice_client"], "bob": people["bob_client"], "other guest": people["other_guest"],
                 "no session": Client()},
    }
    tried = 0
    for submission, clients in strangers.items():
        for who, client in clients.items():
            for url in page_urls(submission):
                assert client.get(url).status_code == 404, (who, url)
                tried += 1
            assert client.post(f"/r/{submission.results.get().id}/cancel").status_code == 404, who
            assert websocket_close_code(submission, client) == CLOSE_FORBIDDEN, who
        for method, url, data in api_calls(submission):
            stranger = token_client(people["bob"] if submission is alices else people["alice"])
            response = getattr(stranger, method)(url, data, format="json")
            assert response.status_code == 404, (method, url, response.content)
            assert APIClient().generic(method.upper(), url).status_code in (401, 403), url  # no credentials
            tried += 2
    assert tried > 50

    # Nothing was changed by all that, and the owners still reach everything.
    assert Submission.objects.count() == 2 and Result.objects.count() == 2
    assert set(Result.objects.values_list("status", flat=True)) == {"succeeded"}
    for submission, owner in ((alices, people["alice_client"]), (guests, people["guest"])):
        for url in page_urls(submission):
            expected = 404 if url.endswith(("ground-truth.png", f"/gallery/{submission.id}/")) else 200
            assert owner.get(url).status_code == expected, url
        assert websocket_close_code(submission, owner) is None
    response = token_client(people["alice"]).get(f"/api/v1/submissions/{alices.id}/")
    assert response.status_code == 200


def test_api_lists_show_only_ones_own(people):
    upload(people["alice_client"])
    upload(people["guest"])
    assert token_client(people["bob"]).get("/api/v1/submissions/").json()["count"] == 0
    assert token_client(people["alice"]).get("/api/v1/submissions/").json()["count"] == 1


# --- CSRF ----------------------------------------------------------------------------------------


def csrf_token(client: Client, url: str) -> str:
    html = client.get(url).content.decode()
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)


def test_every_form_refuses_a_post_without_its_csrf_token(people):
    alice = people["alice"]
    submission = upload(people["alice_client"])
    _token, _key = api_token_create(user=alice, name="to revoke")
    result = submission.results.get()
    signed_in = Client(enforce_csrf_checks=True)
    signed_in.force_login(alice)
    anonymous = Client(enforce_csrf_checks=True)
    forms = [
        (signed_in, "/", {"scale": 2, "model": "bicubic"}),
        (signed_in, f"/r/{result.id}/cancel", {}),
        (signed_in, "/account/tokens/", {"name": "x"}),
        (signed_in, f"/account/tokens/{_token.id}/revoke", {}),
        (signed_in, "/account/logout/", {}),
        (anonymous, "/account/login/", {"username": "alice", "password": "pw-alice-123"}),
        (anonymous, "/admin/login/", {"username": "alice", "password": "pw-alice-123"}),
        (anonymous, "/", {"scale": 2, "model": "bicubic"}),
    ]
    for client, url, data in forms:
        response = client.post(url, data)
        assert response.status_code == 403, (url, response.status_code)
        assert b"CSRF" in response.content, url
    # The session-authenticated API too (a token client needs no CSRF token: no cookie involved).
    response = signed_in.post("/api/v1/submissions/", {"image_url": "http://example.com/a.png"})
    assert response.status_code == 403 and "CSRF" in response.json()["error"]["message"]
    assert Submission.objects.count() == 1 and alice.api_tokens.count() == 1

    # With the token from the page, the same client gets through.
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = {"csrfmiddlewaretoken": csrf_token(signed_in, "/"), "scale": 2, "model": "bicubic",
            "image": SimpleUploadedFile("p.png", make_image_bytes(), "image/png")}
    assert signed_in.post("/", data).status_code == 302


# --- admin ---------------------------------------------------------------------------------------


def test_the_admin_is_for_staff_only(people):
    urls = ["/admin/", "/admin/upscaler/submission/", "/admin/auth/user/"]
    for client in (Client(), people["alice_client"]):
        for url in urls:
            response = client.get(url)
            assert response.status_code == 302 and response["Location"].startswith("/admin/login/"), url
    staff = User.objects.create_user("staff", password="pw-staff-123", is_staff=True)
    client = Client()
    client.force_login(staff)
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/upscaler/submission/").status_code == 403  # staff, but no permission
    assert client.get("/admin/auth/user/").status_code == 403
    staff.user_permissions.add(Permission.objects.get(codename="view_submission"))
    assert client.get("/admin/upscaler/submission/").status_code == 200
    assert client.get("/admin/auth/user/").status_code == 403


# --- headers -------------------------------------------------------------------------------------


def csp_directives(header: str) -> dict[str, str]:
    """{"script-src": "'self'", ...}: django-csp writes the directives in no fixed order."""
    return dict(part.strip().split(" ", 1) for part in header.split(";"))


def test_pages_carry_the_security_headers(people):
    submission = upload(people["alice_client"])
    for url in ("/", f"/s/{submission.id}/", "/gallery/", "/account/login/", "/admin/login/"):
        response = people["alice_client"].get(url)
        assert response.status_code == 200, url
        csp = response["Content-Security-Policy"]
        directives = csp_directives(csp)
        assert directives["script-src"] == "'self'" and directives["frame-ancestors"] == "'none'"
        assert "unsafe-eval" not in csp
        assert response["X-Frame-Options"] == "DENY"
        assert response["Referrer-Policy"] == "same-origin"
        assert response["X-Content-Type-Options"] == "nosniff"
        html = response.content.decode()
        # The CSP allows no inline script: every <script> of our pages has a src.
        assert not re.search(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", html), url
    # The API docs too: Swagger UI's init script is a file of its own (SpectacularSwaggerSplitView).
    docs = people["alice_client"].get("/api/docs/")
    assert docs.status_code == 200
    assert csp_directives(docs["Content-Security-Policy"])["script-src"] == "'self'"
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", docs.content.decode())


def test_files_are_served_with_safe_types_and_dispositions(people):
    client = people["alice_client"]
    submission = upload(client)
    result = submission.results.get()
    original = client.get(f"/s/{submission.id}/original")
    assert original["Content-Type"] == "image/png"
    assert original["Content-Disposition"] == f'inline; filename="{submission.id}.png"'
    download = client.get(f"/r/{result.id}/download.jpeg")
    assert download["Content-Type"] == "image/jpeg"
    assert re.fullmatch(rf'attachment; filename="{submission.id}-bicubic-x2\.jpg"', download["Content-Disposition"])
    for response in (original, download, client.get(f"/r/{result.id}/output.png")):
        assert response["X-Content-Type-Options"] == "nosniff"
        assert "sandbox" in response["Content-Security-Policy"]
        assert "default-src 'none'" in response["Content-Security-Policy"]
