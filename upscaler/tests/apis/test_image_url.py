"""image_url: fetched from a local server that the allow-list lets through; everything private,
every bad scheme, redirects to private addresses, oversize bodies and slow servers refused."""

from __future__ import annotations

import pytest

from upscaler.integrations import url_fetch
from upscaler.models import Submission
from upscaler.tests.apis.conftest import Route
from upscaler.tests.apis.test_submissions import URL, assert_error, nothing_stored
from upscaler.tests.conftest import make_image_bytes

pytestmark = pytest.mark.django_db(transaction=True)


def post_url(api, url: str, **fields):
    return api.post(URL, {"image_url": url, "scale": 2, **fields}, format="json")


def test_fetches_an_allowed_url(api, local_server, allow_loopback):
    local_server.routes["/cat.png"] = Route(body=make_image_bytes(6, 4), headers={"Content-Type": "image/png"})
    response = post_url(api, local_server.url("/cat.png"))
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["status"] == "succeeded" and body["image"]["width"] == 6
    assert [h.path for h in local_server.hits] == ["/cat.png"]
    assert local_server.hits[0].headers["Host"] == f"127.0.0.1:{local_server.port}"


def test_follows_a_redirect_to_an_allowed_address(api, local_server, allow_loopback):
    local_server.routes["/old"] = Route(status=302, headers={"Location": "/new.png"})
    local_server.routes["/new.png"] = Route(body=make_image_bytes())
    assert post_url(api, local_server.url("/old")).status_code == 202
    assert [h.path for h in local_server.hits] == ["/old", "/new.png"]


def test_loopback_is_refused_without_the_allow_list(api, local_server, media_root):
    local_server.routes["/cat.png"] = Route(body=make_image_bytes())
    for host in ("127.0.0.1", "localhost"):
        assert_error(post_url(api, local_server.url("/cat.png", host=host)), 400, "url_forbidden_address", "image_url")
    assert local_server.hits == []  # refused before connecting
    assert nothing_stored(media_root)


def test_redirect_to_a_private_address_is_refused(api, local_server, allow_loopback, media_root):
    for target in ("http://10.0.0.1/x.png", "http://169.254.169.254/latest/meta-data/",
                   f"http://127.0.0.2:{local_server.port}/cat.png", "http://[::1]/x.png"):
        local_server.routes["/hop"] = Route(status=301, headers={"Location": target})
        assert_error(post_url(api, local_server.url("/hop")), 400, "url_forbidden_address", "image_url")
    assert {h.path for h in local_server.hits} == {"/hop"}
    assert nothing_stored(media_root)


def test_redirect_loop_is_cut(api, local_server, allow_loopback, settings):
    settings.UPSCALER_URL_FETCH_MAX_REDIRECTS = 3
    local_server.routes["/loop"] = Route(status=302, headers={"Location": "/loop"})
    error = assert_error(post_url(api, local_server.url("/loop")), 400, "url_bad_url", "image_url")
    assert "redirected more than 3" in error["message"]
    assert len(local_server.hits) == 4


@pytest.mark.parametrize(
    "url",
    ["ftp://example.com/a.png", "file:///etc/passwd", "gopher://x/", "javascript:alert(1)",
     "http://user:pw@example.com/a.png", "http:///nohost", "not a url", "http://[::1"],
)
def test_bad_urls_are_refused(api, url, media_root):
    assert_error(post_url(api, url), 400, None, "image_url")
    assert nothing_stored(media_root)


@pytest.mark.parametrize(
    "address",
    ["127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1", "0.0.0.0",  # noqa: S104
     "224.0.0.1", "240.0.0.1", "::1", "fe80::1", "fd00:ec2::254", "::ffff:127.0.0.1", "::ffff:10.0.0.1"],
)
def test_private_addresses_are_not_allowed(address, settings):
    settings.UPSCALER_URL_FETCH_ALLOWLIST = []
    assert not url_fetch.address_is_allowed(address)


def test_public_addresses_are_allowed():
    assert url_fetch.address_is_allowed("93.184.216.34")
    assert url_fetch.address_is_allowed("2606:2800:220:1:248:1893:25c8:1946")


def test_a_host_with_any_private_record_is_refused(api, monkeypatch, media_root):
    monkeypatch.setattr(url_fetch, "resolve", lambda host, port: ["93.184.216.34", "10.0.0.5"])
    assert_error(post_url(api, "http://rebind.example/a.png"), 400, "url_forbidden_address")
    assert nothing_stored(media_root)


def test_connects_to_the_checked_address(api, local_server, allow_loopback, monkeypatch):
    """The host name is resolved once and the connection goes to that address (no second DNS
    answer can swap in another one); the Host header keeps the name."""
    calls = []

    def resolve(host, port):
        calls.append(host)
        return ["127.0.0.1"]

    monkeypatch.setattr(url_fetch, "resolve", resolve)
    local_server.routes["/a.png"] = Route(body=make_image_bytes())
    response = post_url(api, f"http://images.example:{local_server.port}/a.png")
    assert response.status_code == 202, response.content
    assert calls == ["images.example"]
    assert local_server.hits[0].headers["Host"] == f"images.example:{local_server.port}"


def test_oversize_body_is_cut_off(api, local_server, allow_loopback, settings, media_root):
    settings.UPSCALER_MAX_UPLOAD_BYTES = 1000
    local_server.routes["/big-declared"] = Route(body=b"x" * 5000)
    # No Content-Length: the stream is read until the limit and dropped.
    local_server.routes["/big-streamed"] = Route(body=b"x" * 5000, headers={"Content-Length": ""})
    for path in ("/big-declared", "/big-streamed"):
        assert_error(post_url(api, local_server.url(path)), 400, "url_too_large", "image_url")
    assert nothing_stored(media_root)


def test_slow_server_times_out(api, local_server, allow_loopback, settings, media_root):
    settings.UPSCALER_URL_FETCH_TIMEOUT = 0.3
    local_server.routes["/slow.png"] = Route(body=make_image_bytes(), delay=1.5)
    assert_error(post_url(api, local_server.url("/slow.png")), 400, "url_timeout", "image_url")
    assert nothing_stored(media_root)


def test_error_status_and_non_image(api, local_server, allow_loopback, media_root):
    local_server.routes["/gone.png"] = Route(status=404)
    local_server.routes["/page.html"] = Route(body=b"<html>hello</html>")
    assert_error(post_url(api, local_server.url("/gone.png")), 400, "url_bad_status", "image_url")
    assert_error(post_url(api, local_server.url("/page.html")), 400, "unsupported_image", "image")
    assert nothing_stored(media_root)


def test_idempotent_retry_does_not_fetch_again(api, local_server, allow_loopback):
    local_server.routes["/a.png"] = Route(body=make_image_bytes())
    first = api.post(URL, {"image_url": local_server.url("/a.png")}, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    again = api.post(URL, {"image_url": local_server.url("/a.png")}, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    assert first.status_code == 202 and again.status_code == 200
    assert len(local_server.hits) == 1 and Submission.objects.count() == 1


def test_the_same_key_for_another_url_is_refused_without_fetching(api, local_server, allow_loopback):
    local_server.routes["/a.png"] = Route(body=make_image_bytes())
    local_server.routes["/b.png"] = Route(body=make_image_bytes())
    first = api.post(URL, {"image_url": local_server.url("/a.png")}, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    other = api.post(URL, {"image_url": local_server.url("/b.png")}, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    assert first.status_code == 202 and other.status_code == 422
    assert other.json()["error"]["code"] == "idempotency_key_reused"
    assert len(local_server.hits) == 1 and Submission.objects.count() == 1


@pytest.mark.parametrize(
    "address",
    ["2002:7f00:1::", "2002:a9fe:a9fe::", "2002:a00:1::",  # 6to4 of 127.0.0.1, 169.254.169.254, 10.0.0.1
     "2001:0:4136:e378:8000:63bf:f5ff:fffe",  # Teredo: client 10.0.0.1 (stored inverted)
     "64:ff9b::a9fe:a9fe", "64:ff9b::7f00:1", "64:ff9b:1::a00:1"],  # NAT64 of metadata, loopback, private
)
def test_ipv6_forms_that_carry_a_private_ipv4_are_refused(address, settings):
    settings.UPSCALER_URL_FETCH_ALLOWLIST = []
    assert not url_fetch.address_is_allowed(address)


def test_a_server_that_drips_its_headers_is_cut_off_at_the_total_deadline(settings):
    """The review's M2: one header byte every 0.2 s kept a '3 s' fetch for 22 s, because every byte
    restarted the per-read timeout. The whole exchange now has one deadline."""
    import socket
    import threading
    import time

    settings.UPSCALER_URL_FETCH_ALLOWLIST = ["127.0.0.0/8"]
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    stop = threading.Event()

    def drip():
        conn, _ = listener.accept()
        with conn:
            conn.recv(65536)
            for byte in b"HTTP/1.1 200 OK\r\n" + b"X-Slow: " + b"a" * 200:
                if stop.is_set():
                    return
                try:
                    conn.sendall(bytes([byte]))
                except OSError:
                    return
                time.sleep(0.2)

    threading.Thread(target=drip, daemon=True).start()
    url = f"http://127.0.0.1:{listener.getsockname()[1]}/x.png"
    started = time.monotonic()
    try:
        with pytest.raises(url_fetch.UrlFetchError) as excinfo:
            url_fetch.request("GET", url, max_bytes=1024, timeout=1.0, total_timeout=1.5)
    finally:
        stop.set()
        listener.close()
    assert excinfo.value.code == "timeout"
    # The drip alone would take over 40 s; the deadline ends it within a little of 1.5 s.
    assert time.monotonic() - started < 10
