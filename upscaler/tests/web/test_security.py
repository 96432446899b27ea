"""The Content-Security-Policy (django-csp, settings/security.py): the site's policy on pages and
on the API docs, which run without inline script; served files keep their own stricter policy;
images may come from the object store."""

from __future__ import annotations

import re

import pytest
from csp.middleware import CSPMiddleware
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory

from srsite.settings.security import store_image_origins
from upscaler.integrations.file_responses import FILE_CSP, stored_file_response
from upscaler.models import Result
from upscaler.tests.conftest import make_image_bytes

SITE_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "style-src-attr": "'unsafe-inline'",
    "img-src": "'self' data: blob:",
    "connect-src": "'self'",
    "font-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>")


def directives(header: str) -> dict[str, str]:
    """django-csp writes the directives in no fixed order."""
    return dict(part.strip().split(" ", 1) for part in header.split(";"))


@pytest.mark.django_db
def test_pages_get_the_site_policy_from_django_csp(client):
    assert "csp.middleware.CSPMiddleware" in settings.MIDDLEWARE
    assert not hasattr(settings, "UPSCALER_CSP_EXEMPT_PATHS")  # nothing is exempt by path any more
    response = client.get("/")
    assert response.status_code == 200
    assert directives(response["Content-Security-Policy"]) == SITE_POLICY


@pytest.mark.django_db
def test_the_api_docs_run_under_the_site_policy_without_inline_script(client):
    page = client.get("/api/docs/")
    assert page.status_code == 200 and page["Content-Type"].startswith("text/html")
    assert directives(page["Content-Security-Policy"]) == SITE_POLICY
    html = page.content.decode()
    assert 'id="swagger-ui"' in html
    assert not INLINE_SCRIPT.search(html)
    sources = re.findall(r'<script[^>]*\bsrc="([^"]+)"', html)
    # Swagger UI's bundle and preset from our static files, and its init script from this view:
    # all from our own origin, which is all script-src 'self' allows.
    assert len(sources) == 3 and all(src.startswith("/") and not src.startswith("//") for src in sources)
    init = client.get(sources[-1].replace("&amp;", "&"))
    assert init.status_code == 200 and init["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle(" in init.content.decode() and "/api/schema/" in init.content.decode()
    assert client.get("/api/schema/").status_code == 200  # what the UI then loads (connect-src 'self')


@pytest.mark.django_db(transaction=True)  # the job runs on commit
def test_served_files_keep_their_own_policy(client):
    image = SimpleUploadedFile("p.png", make_image_bytes(9, 5), "image/png")
    upload = client.post("/", {"image": image, "scale": 2, "model": "bicubic", "mode": "upscale"})
    assert upload.status_code == 302
    submission = upload["Location"].split("/")[2]
    result = Result.objects.get(submission_id=submission)
    for url in (f"/s/{submission}/original", f"/r/{result.id}/output.png", f"/r/{result.id}/download.webp"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response["Content-Security-Policy"] == FILE_CSP, url


def test_the_middleware_never_replaces_a_files_policy(tmp_path):
    storage = FileSystemStorage(location=tmp_path)
    name = storage.save("result.png", ContentFile(b"\x89PNG"))
    request = RequestFactory().get("/r/x/output.png")
    middleware = CSPMiddleware(lambda request: stored_file_response(storage, name, content_type="image/png"))
    response = middleware(request)
    assert response["Content-Security-Policy"] == FILE_CSP
    response.close()


@pytest.mark.parametrize(
    ("options", "origins"),
    [
        (None, []),
        ({"public_endpoint_url": None, "endpoint_url": None}, ["https://*.amazonaws.com"]),
        ({"public_endpoint_url": None, "endpoint_url": "http://minio:9000"}, ["http://minio:9000"]),
        # The browsers' endpoint wins; a path in it would narrow img-src to that path: origin only.
        ({"public_endpoint_url": "https://files.example.org/s3/", "endpoint_url": "http://minio:9000"},
         ["https://files.example.org"]),
    ],
)
def test_images_may_come_from_the_object_store(options, origins):
    default = {"BACKEND": "upscaler.integrations.storage.PresignedS3Storage"}
    if options is None:
        default = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    else:
        default["OPTIONS"] = options
    assert store_image_origins({"default": default}) == origins
