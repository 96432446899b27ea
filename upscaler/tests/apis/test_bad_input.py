"""Hostile and unusual input through all four doors (upload form, API multipart, API base64, API
image_url): each bad one gets a 4xx with a message and leaves no row and no file; each valid but
unusual one gets a correct result; the server keeps serving afterwards. Plus client file names
that must never reach the filesystem, and polyglots that are only ever served as images."""

from __future__ import annotations

import base64
import io
import re
import struct
import zipfile
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from upscaler.api.parsers import json_body_limit
from upscaler.models import Result, Submission
from upscaler.tests.apis.conftest import Route, running_local_server
from upscaler.tests.apis.test_submissions import URL
from upscaler.tests.conftest import make_image_bytes, stored_files

pytestmark = pytest.mark.django_db(transaction=True)  # jobs run on commit (inline runner)

CHANNELS = ("form", "multipart", "base64", "url")


# --- inputs ---------------------------------------------------------------------------------


def encode(image: Image.Image, fmt: str, **options) -> bytes:
    buf = io.BytesIO()
    image.save(buf, fmt, **options)
    return buf.getvalue()


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that declares width x height but carries one row of data: a bomb by its header."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    idat = zlib.compress(b"\x00" * (width + 1))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def zip_bytes() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        archive.writestr("evil.html", "<script>alert(document.cookie)</script>")
    return buf.getvalue()


def gif_js_polyglot() -> bytes:
    """GIF89a/*...*/=alert(1); : a real GIF whose first bytes open a JS comment (its width is
    0x2A2F = 10799 px, the bytes "/*"), with JS after the trailer."""
    gif = encode(Image.new("P", (0x2A2F, 4)), "GIF")
    assert gif[6:8] == b"/*"
    return gif + b"*/=alert(document.domain);"


def animated(fmt: str) -> bytes:
    frames = [Image.new("RGB", (12, 8), colour) for colour in ((255, 0, 0), (0, 255, 0), (0, 0, 255))]
    return encode(frames[0], fmt, save_all=True, append_images=frames[1:], duration=100, loop=0)


PNG = make_image_bytes(12, 8)
JPEG = make_image_bytes(12, 8, fmt="JPEG")

# name -> (bytes, client file name, content type served for image_url)
BAD_INPUTS = {
    "zero-byte": (b"", "empty.png", "image/png"),
    "truncated-png": (make_image_bytes(64, 64)[:120], "cut.png", "image/png"),
    "truncated-jpeg": (make_image_bytes(64, 64, fmt="JPEG")[:300], "cut.jpg", "image/jpeg"),
    "html-as-png": (b"<!doctype html><html><script>alert(1)</script></html>", "page.png", "image/png"),
    "svg-with-script": (
        b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>',
        "vector.png", "image/svg+xml",
    ),
    "script-as-gif": (b"/* GIF */ fetch('/admin/').then(r => r.text())", "anim.gif", "image/gif"),
    "zip-as-png": (zip_bytes(), "archive.png", "image/png"),
    "decompression-bomb": (png_header_only(30_000, 30_000), "bomb.png", "image/png"),
    "50000-tall-and-wide": (png_header_only(400, 50_000), "tall.png", "image/png"),
    "gif-magic-only": (b"GIF89a", "magic.gif", "image/gif"),
    "png-magic-then-garbage": (b"\x89PNG\r\n\x1a\n" + b"\xff" * 200, "garbage.png", "image/png"),
}

# name -> (bytes, file name, expected output mode, expected input size)
VALID_UNUSUAL = {
    "cmyk-jpeg": (encode(Image.new("CMYK", (10, 6), (0, 255, 255, 0)), "JPEG"), "cmyk.jpg", "RGB", (10, 6)),
    "16-bit-grey-png": (encode(Image.new("I;16", (10, 6), 40000), "PNG"), "deep.png", "I;16", (10, 6)),
    "palette-png": (encode(Image.new("RGB", (10, 6), (200, 30, 30)).convert("P"), "PNG"), "pal.png", "RGB", (10, 6)),
    "la-png": (encode(Image.new("LA", (10, 6), (128, 200)), "PNG"), "grey-alpha.png", "LA", (10, 6)),
    "animated-gif": (animated("GIF"), "anim.gif", "RGB", (12, 8)),
    "animated-webp": (animated("WEBP"), "anim.webp", "RGB", (12, 8)),
    "1x50000-tall": (encode(Image.new("L", (1, 50_000), 90), "PNG"), "tall.png", "L", (1, 50_000)),
    "png-named-jpg": (PNG, "photo.jpg", "RGB", (12, 8)),
    "jpeg-named-png": (JPEG, "photo.png", "RGB", (12, 8)),
    "png-zip-polyglot": (PNG + zip_bytes(), "poly.png", "RGB", (12, 8)),
}


# --- the four doors -------------------------------------------------------------------------


class Sender:
    def __init__(self, api, local_server):
        self.api, self.local_server = api, local_server
        self.client = Client()
        self.client.force_login(api.user)

    def send(self, channel: str, data: bytes, name: str, content_type="image/png", *, scale=2, model="bicubic"):
        """-> (status, message or submission id)"""
        if channel == "form":
            upload = SimpleUploadedFile(name, data, content_type)
            response = self.client.post("/", {"image": upload, "scale": scale, "model": model, "mode": "upscale"})
            if response.status_code == 302:
                return 302, response["Location"].split("/")[2]
            html = response.content.decode()
            errors = re.findall(r'<span class="error">([^<]+)</span>', html)
            errors += re.findall(r'<p class="field-error" role="alert">([^<]+)</p>', html)
            return response.status_code, " ".join(errors)
        fields = {"scale": scale, "model": model}
        if channel == "multipart":
            fh = io.BytesIO(data)
            fh.name = name
            response = self.api.post(URL, {"image": fh, **fields}, format="multipart")
        elif channel == "base64":
            payload = {"image_base64": base64.b64encode(data).decode(), "image_name": name, **fields}
            response = self.api.post(URL, payload, format="json")
        else:
            path = f"/img/{len(self.local_server.routes)}"  # a new path per request
            self.local_server.routes[path] = Route(body=data, headers={"Content-Type": content_type})
            response = self.api.post(URL, {"image_url": self.local_server.url(path), **fields}, format="json")
        body = response.json()
        if response.status_code == 202:
            return 202, body["id"]
        return response.status_code, body["error"]["message"]


@pytest.fixture(scope="module")
def image_host():
    """One image host for the whole module (stopping a server costs half a second)."""
    with running_local_server() as server:
        yield server


@pytest.fixture
def sender(api, user, image_host, allow_loopback):
    api.user = user
    image_host.routes.clear()
    return Sender(api, image_host)


def nothing_stored(media_root) -> bool:
    return Submission.objects.count() == 0 and Result.objects.count() == 0 and stored_files(media_root) == []


def assert_still_serving(sender: Sender, channel: str) -> None:
    status, submission_id = sender.send(channel, PNG, "ok.png")
    assert status in (202, 302), submission_id
    assert Result.objects.get(submission_id=submission_id).status == "succeeded"


@pytest.mark.parametrize("channel", CHANNELS)
@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_bad_input_is_a_clear_4xx_and_leaves_nothing(sender, media_root, channel, case):
    data, name, content_type = BAD_INPUTS[case]
    status, message = sender.send(channel, data, name, content_type)
    assert 400 <= status < 500, (status, message)
    assert len(message) > 10, message
    assert nothing_stored(media_root)
    assert_still_serving(sender, channel)


@pytest.mark.parametrize("channel", CHANNELS)
@pytest.mark.parametrize(
    ("scale", "model"),
    [(5, "bicubic"), (0, "bicubic"), (-2, "bicubic"), ("x", "bicubic"), (10**30, "bicubic"),
     (2, "nope"), (2, "../../etc/passwd"), (2, "bicubic\x00")],
)
def test_invalid_scale_or_model_is_a_4xx(sender, media_root, channel, scale, model):
    status, message = sender.send(channel, PNG, "ok.png", scale=scale, model=model)
    assert 400 <= status < 500 and message, (status, message)
    assert nothing_stored(media_root)


@pytest.mark.parametrize("channel", CHANNELS)
@pytest.mark.parametrize("case", list(VALID_UNUSUAL))
def test_valid_unusual_images_get_a_correct_result(sender, media_root, channel, case):
    data, name, mode, size = VALID_UNUSUAL[case]
    status, submission_id = sender.send(channel, data, name)
    assert status in (202, 302), submission_id
    result = Result.objects.get(submission_id=submission_id)
    assert result.status == "succeeded", result.error
    with result.output.open("rb") as fh, Image.open(fh) as output:
        assert output.size == (size[0] * 2, size[1] * 2)
        assert output.mode == mode
        assert output.format == "PNG"
    # The output is encoded from decoded pixels: nothing of a polyglot's payload survives.
    with result.output.open("rb") as fh:
        assert b"PK\x03\x04" not in fh.read()


def test_huge_base64_body_is_413_without_reading_it_all(sender, settings, media_root):
    settings.UPSCALER_MAX_UPLOAD_BYTES = 64 * 1024
    huge = base64.b64encode(b"\x00" * (2 * 1024 * 1024)).decode()
    response = sender.api.post(URL, {"image_base64": huge, "image_name": "big.png", "scale": 2}, format="json")
    assert response.status_code == 413 and response.json()["error"]["message"]
    # Valid base64 of a file over the upload limit (but within the body limit): 400 too_large.
    big = make_image_bytes(150, 150, fmt="BMP")
    assert len(big) > 64 * 1024 and len(base64.b64encode(big)) < json_body_limit()
    payload = {"image_base64": base64.b64encode(big).decode(), "image_name": "big.bmp", "scale": 2}
    response = sender.api.post(URL, payload, format="json")
    assert response.status_code == 400, response.content
    assert "larger than" in str(response.json()["error"]), response.json()
    assert nothing_stored(media_root)


@pytest.mark.parametrize("channel", ["form", "multipart", "base64"])
@pytest.mark.parametrize(
    "name",
    ["../../etc/passwd.png", "..\\..\\windows\\win.ini.png", "nul\x00byte.png", "x" * 300 + ".png",
     "ünïcødé-画像-🖼.png", "/absolute/path.png", ".htaccess", "photo.php.png", "CON.png"],
    ids=["dotdot", "backslash", "nul", "long", "unicode", "absolute", "htaccess", "double-ext", "reserved"],
)
def test_client_file_names_never_reach_the_filesystem(sender, media_root, channel, name):
    status, submission_id = sender.send(channel, PNG, name)
    if status not in (202, 302):  # refusing such a name is fine too, if it leaves nothing
        assert 400 <= status < 500 and nothing_stored(media_root), (status, submission_id)
        return
    submission = Submission.objects.get(pk=submission_id)
    assert re.fullmatch(rf"uploads/\d{{4}}/\d{{2}}/{submission.id}\.png", submission.original.name)
    for stored in stored_files(media_root):
        assert re.fullmatch(r"(uploads|results)/\d{4}/\d{2}/[0-9a-f-]{36}\.png", stored), stored
    assert not any(p.name == "passwd.png" for p in media_root.parent.rglob("*"))


def test_polyglots_are_served_only_as_their_decoded_image_type(sender, media_root):
    for data, fmt in ((gif_js_polyglot(), "gif"), (PNG + zip_bytes(), "png")):
        status, submission_id = sender.send("multipart", data, "innocent.js")
        assert status == 202, submission_id
        response = sender.client.get(f"/s/{submission_id}/original")
        assert response["Content-Type"] == f"image/{fmt}"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert "sandbox" in response["Content-Security-Policy"]
        assert response["Content-Disposition"] == f'inline; filename="{submission_id}.{fmt}"'
        result = Result.objects.get(submission_id=submission_id)
        output = sender.client.get(f"/r/{result.id}/output.png")
        body = b"".join(output.streaming_content)
        assert output["Content-Type"] == "image/png" and body.startswith(b"\x89PNG")
        assert b"alert(" not in body and b"PK\x03\x04" not in body


@pytest.mark.parametrize("as_multipart", [False, True])
def test_an_oversized_form_field_is_413_not_500(sender, media_root, as_multipart):
    # 6 MB of base64 in a form field passes DATA_UPLOAD_MAX_MEMORY_SIZE (5 MB): Django refuses it
    # with RequestDataTooBig, which used to fall through to "unhandled API error" (500).
    from urllib.parse import urlencode

    data = {"image_base64": base64.b64encode(b"\0" * 4_500_000).decode(), "image_name": "x.png", "scale": 2}
    if as_multipart:
        response = sender.api.post(URL, data, format="multipart")
    else:
        response = sender.api.generic("POST", URL, urlencode(data), content_type="application/x-www-form-urlencoded")
    assert response.status_code == 413, response.content
    assert response.json()["error"]["code"] == "too_large"
    assert nothing_stored(media_root)
