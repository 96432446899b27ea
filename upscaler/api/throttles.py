"""Per-user (and per-address for anonymous) rate limits; rates come from
UPSCALER_API_THROTTLE_RATES at request time, so they can be changed without re-importing."""

from __future__ import annotations

from django.conf import settings
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle


class _SettingsRate:
    def get_rate(self):
        return settings.UPSCALER_API_THROTTLE_RATES.get(self.scope)


class UserThrottle(_SettingsRate, UserRateThrottle):
    scope = "user"


class AnonThrottle(_SettingsRate, AnonRateThrottle):
    scope = "anon"


class SubmitThrottle(_SettingsRate, UserRateThrottle):
    """Creating jobs (POST submissions, POST results) has its own, lower, rate."""

    scope = "submit"

    def allow_request(self, request, view):
        if request.method != "POST":
            return True
        return super().allow_request(request, view)
