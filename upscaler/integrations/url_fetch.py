"""Outgoing HTTP to user-given URLs (image_url, callback_url) that cannot reach private addresses.

Every hop is checked: the scheme (http/https), no credentials in the URL, and every address
the host resolves to must be public (not loopback, private, link-local — which includes cloud
metadata at 169.254.169.254 —, multicast, reserved, shared or unspecified), unless it is in
UPSCALER_URL_FETCH_ALLOWLIST (CIDR networks; for tests and trusted internal hosts).
The connection then goes to the address that was checked, not to a second DNS answer, so a
rebinding resolver cannot swap in a private address; TLS still verifies the certificate
against the host name. Redirects are followed by hand, each hop checked the same way.
Bodies are streamed and cut off at a size limit. Time is bounded as a whole: DNS, connecting,
TLS, headers and body share one deadline (UPSCALER_URL_FETCH_TOTAL_TIMEOUT), enforced by a
timer that closes the socket, because per-read timeouts restart with every byte a server drips.
IPv6 forms that carry an IPv4 address (6to4, Teredo, NAT64) are judged by that address too.
"""

from __future__ import annotations

import contextlib
import http.client
import ipaddress
import logging
import socket
import ssl
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from functools import cache
from urllib.parse import urljoin, urlsplit

from django.conf import settings

logger = logging.getLogger(__name__)

ALLOWED_SCHEMES = {"http": 80, "https": 443}
REDIRECT_STATUSES = {301, 302, 303, 307, 308}
CHUNK_BYTES = 64 * 1024
USER_AGENT = "srsite/1 (+image fetcher)"


class UrlFetchError(Exception):
    """The URL is refused or could not be fetched; the message is safe to show to the client."""

    def __init__(self, message: str, *, code: str = "bad_url"):
        super().__init__(message)
        self.code = code


def _timeout_error() -> UrlFetchError:
    return UrlFetchError("The URL did not answer in time.", code="timeout")


@dataclass
class FetchedResponse:
    url: str  # the final URL, after redirects
    status: int
    headers: dict[str, str]
    body: bytes


@cache
def _allowlist(raw: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(item.strip(), strict=False) for item in raw if item.strip())


#: NAT64 prefixes (RFC 6052 well-known, RFC 8215 local use): the last 32 bits are an IPv4 address.
NAT64_NETWORKS = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """IPv4 addresses an IPv6 address carries and a gateway would deliver to."""
    embedded = []
    if ip.sixtofour is not None:
        embedded.append(ip.sixtofour)
    if ip.teredo is not None:
        embedded.extend(ip.teredo)  # (server, client)
    if any(ip in network for network in NAT64_NETWORKS):
        embedded.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    return embedded


def address_is_allowed(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped  # ::ffff:127.0.0.1 is 127.0.0.1
    if any(ip in network for network in _allowlist(tuple(settings.UPSCALER_URL_FETCH_ALLOWLIST))):
        return True
    if isinstance(ip, ipaddress.IPv6Address) and any(not address_is_allowed(str(v4)) for v4 in _embedded_ipv4(ip)):
        return False  # 2002:a9fe:a9fe:: is 169.254.169.254 behind a 6to4 gateway
    return ip.is_global and not (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
    )


def resolve(host: str, port: int) -> list[str]:
    """All addresses of `host` (tests replace this to avoid real DNS)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(info[4][0] for info in infos))


# getaddrinfo takes no timeout: it runs here, and the caller waits at most until its deadline.
_resolver = ThreadPoolExecutor(max_workers=4, thread_name_prefix="srsite-dns")


def _resolve_by(host: str, port: int, deadline: float) -> list[str]:
    future = _resolver.submit(resolve, host, port)
    try:
        return future.result(timeout=max(0.0, deadline - time.monotonic()))
    except FutureTimeout as exc:
        raise UrlFetchError(f"Resolving {host!r} took too long.", code="timeout") from exc


class _Deadline:
    """Closes a connection's socket when the whole exchange has run out of time, which unblocks
    any read or handshake in progress (per-read timeouts would restart with every byte)."""

    def __init__(self, deadline: float) -> None:
        self.deadline = deadline
        self.expired = False
        self._timer: threading.Timer | None = None

    def remaining(self) -> float:
        left = self.deadline - time.monotonic()
        if left <= 0:
            self.expired = True
            raise _timeout_error()
        return left

    def guard(self, conn: http.client.HTTPConnection) -> None:
        self.cancel()
        self._timer = threading.Timer(self.remaining(), self._expire, (conn,))
        self._timer.daemon = True
        self._timer.start()

    def _expire(self, conn: http.client.HTTPConnection) -> None:
        self.expired = True
        sock = conn.sock
        if sock is not None:
            with contextlib.suppress(OSError):
                socket.socket.shutdown(sock, socket.SHUT_RDWR)  # the raw socket, even under TLS

    def cancel(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None


@dataclass
class _Target:
    scheme: str
    host: str
    port: int
    path: str
    address: str


def check_url(url: str, deadline: float | None = None) -> _Target:
    """Validate one URL and resolve its host; raises UrlFetchError unless every address is allowed."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UrlFetchError(f"Not a valid URL: {exc}.") from exc
    scheme = parts.scheme.lower()
    if scheme not in ALLOWED_SCHEMES:
        raise UrlFetchError("Only http and https URLs are accepted.")
    if parts.username is not None or parts.password is not None:
        raise UrlFetchError("URLs with credentials are not accepted.")
    host = parts.hostname
    if not host:
        raise UrlFetchError("The URL has no host.")
    port = port or ALLOWED_SCHEMES[scheme]
    try:
        addresses = resolve(host, port) if deadline is None else _resolve_by(host, port, deadline)
    except (OSError, UnicodeError) as exc:
        raise UrlFetchError(f"Cannot resolve the host {host!r}.") from exc
    if not addresses:
        raise UrlFetchError(f"Cannot resolve the host {host!r}.")
    # Every answer must be allowed: otherwise a host with one public and one private record
    # could still reach the private one.
    for address in addresses:
        if not address_is_allowed(address):
            raise UrlFetchError(
                f"The host {host!r} resolves to a non-public address; it is not fetched.",
                code="forbidden_address",
            )
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return _Target(scheme, host, port, path, addresses[0])


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to a fixed address, verifying the certificate against the real host name."""

    def __init__(self, address: str, port: int, *, server_hostname: str, timeout: float):
        super().__init__(address, port, timeout=timeout, context=ssl.create_default_context())
        self._server_hostname = server_hostname

    def connect(self) -> None:
        http.client.HTTPConnection.connect(self)
        self.sock = self._context.wrap_socket(self.sock, server_hostname=self._server_hostname)


def _connection(target: _Target, timeout: float) -> http.client.HTTPConnection:
    if target.scheme == "https":
        return _PinnedHTTPSConnection(
            target.address, target.port, server_hostname=target.host, timeout=timeout
        )
    return http.client.HTTPConnection(target.address, target.port, timeout=timeout)


def _host_header(target: _Target) -> str:
    host = f"[{target.host}]" if ":" in target.host else target.host
    if target.port != ALLOWED_SCHEMES[target.scheme]:
        host = f"{host}:{target.port}"
    return host


def request(
    method: str,
    url: str,
    *,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    max_bytes: int,
    timeout: float | None = None,
    total_timeout: float | None = None,
    follow_redirects: bool = True,
) -> FetchedResponse:
    """One request to a user-given URL with every safety check; raises UrlFetchError."""
    timeout = timeout if timeout is not None else settings.UPSCALER_URL_FETCH_TIMEOUT
    total = total_timeout if total_timeout is not None else settings.UPSCALER_URL_FETCH_TOTAL_TIMEOUT
    clock = _Deadline(time.monotonic() + total)
    max_redirects = settings.UPSCALER_URL_FETCH_MAX_REDIRECTS if follow_redirects else 0
    current = url
    for _hop in range(max_redirects + 1):
        target = check_url(current, clock.deadline)
        conn = _connection(target, min(timeout, clock.remaining()))
        clock.guard(conn)
        try:
            conn.request(
                method,
                target.path,
                body=body,
                headers={
                    "Host": _host_header(target),
                    "User-Agent": USER_AGENT,
                    "Accept-Encoding": "identity",
                    "Connection": "close",
                    **(headers or {}),
                },
            )
            response = conn.getresponse()
            if follow_redirects and response.status in REDIRECT_STATUSES:
                location = response.getheader("Location")
                if not location:
                    raise UrlFetchError(f"The URL redirected ({response.status}) without a location.")
                current = urljoin(current, location)
                if response.status == 303:
                    method, body = "GET", None
                continue
            data = _read_limited(response, max_bytes, clock.deadline)
            return FetchedResponse(
                url=current,
                status=response.status,
                headers={k.lower(): v for k, v in response.getheaders()},
                body=data,
            )
        except (ValueError, AttributeError) as exc:
            # What http.client raises on a socket the deadline closed under it; otherwise a bug.
            if not clock.expired:
                raise
            raise _timeout_error() from exc
        except (OSError, http.client.HTTPException) as exc:  # TimeoutError and SSLError included
            # When the deadline closed the socket, whatever the blocked call raised is a timeout.
            if clock.expired or isinstance(exc, TimeoutError):
                raise _timeout_error() from exc
            if isinstance(exc, ssl.SSLError):
                raise UrlFetchError(f"TLS error talking to {target.host!r}.") from exc
            raise UrlFetchError(f"Could not fetch the URL ({exc.__class__.__name__}).") from exc
        finally:
            clock.cancel()
            conn.close()
    raise UrlFetchError(f"The URL redirected more than {max_redirects} times.")


def _read_limited(response: http.client.HTTPResponse, max_bytes: int, deadline: float) -> bytes:
    length = response.getheader("Content-Length")
    if length and length.isdigit() and int(length) > max_bytes:
        raise UrlFetchError(_too_large_message(max_bytes), code="too_large")
    chunks: list[bytes] = []
    received = 0
    while True:
        if time.monotonic() > deadline:
            raise _timeout_error()
        chunk = response.read1(CHUNK_BYTES) if hasattr(response, "read1") else response.read(CHUNK_BYTES)
        if not chunk:
            return b"".join(chunks)
        received += len(chunk)
        if received > max_bytes:
            raise UrlFetchError(_too_large_message(max_bytes), code="too_large")
        chunks.append(chunk)


def _too_large_message(max_bytes: int) -> str:
    return f"The file at the URL is larger than {max_bytes / (1024 * 1024):.0f} MB."


def fetch_image(url: str) -> tuple[bytes, str]:
    """GET an image for a submission: (bytes, a file name taken from the final URL's path)."""
    response = request("GET", url, max_bytes=settings.UPSCALER_MAX_UPLOAD_BYTES)
    if not 200 <= response.status < 300:
        raise UrlFetchError(f"The URL answered HTTP {response.status}.", code="bad_status")
    name = urlsplit(response.url).path.rsplit("/", 1)[-1] or "image"
    return response.body, name[:100]
