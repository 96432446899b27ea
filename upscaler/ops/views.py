"""Operations endpoints: /healthz (liveness, for everyone), /readyz and /metrics (for the
networks in UPSCALER_OPS_ALLOWED_NETWORKS, or with the bearer UPSCALER_OPS_TOKEN)."""

from __future__ import annotations

import ipaddress
import secrets
from functools import cache, wraps

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from prometheus_client import CONTENT_TYPE_LATEST

from upscaler.ops import checks, metrics


@cache
def _allowed_networks(networks: tuple[str, ...]):
    return tuple(ipaddress.ip_network(n.strip(), strict=False) for n in networks if n.strip())


def ops_request_allowed(request: HttpRequest) -> bool:
    token = settings.UPSCALER_OPS_TOKEN
    given = request.headers.get("Authorization", "")
    if token and given.startswith("Bearer ") and secrets.compare_digest(given[7:].encode(), token.encode()):
        return True
    try:
        client = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(client in network for network in _allowed_networks(tuple(settings.UPSCALER_OPS_ALLOWED_NETWORKS)))


def ops_only(view):
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not ops_request_allowed(request):
            return HttpResponse("forbidden\n", status=403, content_type="text/plain")
        return view(request, *args, **kwargs)

    return wrapped


@never_cache
def healthz(request: HttpRequest) -> HttpResponse:
    """Liveness: the process answers. No dependency is checked (a database outage must not
    make the orchestrator restart every web process)."""
    return HttpResponse("ok", content_type="text/plain")


@never_cache
@ops_only
def readyz(request: HttpRequest) -> JsonResponse:
    results = checks.readiness_checks()
    ready = all(c.ok for c in results)
    body = {"ready": ready, "checks": {c.name: {"ok": c.ok, "detail": c.detail} for c in results}}
    return JsonResponse(body, status=200 if ready else 503)


@never_cache
@ops_only
def metrics_view(request: HttpRequest) -> HttpResponse:
    return HttpResponse(metrics.metrics_render(), content_type=CONTENT_TYPE_LATEST)
