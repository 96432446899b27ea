"""The API (upscaler/api/): its limits, URL fetching and webhooks, DRF and the OpenAPI schema."""

from .env import env

# The default model when a request names none ("" = our first trained model with the scale,
# else bicubic). A named default must offer the requested scale.
UPSCALER_DEFAULT_MODEL = env.str("UPSCALER_DEFAULT_MODEL", default="")
UPSCALER_API_ALLOW_ANONYMOUS = env.bool("UPSCALER_API_ALLOW_ANONYMOUS", default=False)
UPSCALER_API_PAGE_SIZE = env.int("UPSCALER_API_PAGE_SIZE", default=20)
# DRF rate strings ("<n>/<second|minute|hour|day>") per throttle scope.
UPSCALER_API_THROTTLE_RATES = {
    "user": env.str("UPSCALER_API_THROTTLE_USER", default="600/hour"),
    "anon": env.str("UPSCALER_API_THROTTLE_ANON", default="60/hour"),
    "submit": env.str("UPSCALER_API_THROTTLE_SUBMIT", default="120/hour"),
}
# Output megapixels per owner over a rolling period, counted from results (0 = unlimited).
UPSCALER_QUOTA_MEGAPIXELS = env.float("UPSCALER_QUOTA_MEGAPIXELS", default=2000.0)
UPSCALER_QUOTA_PERIOD_SECONDS = env.int("UPSCALER_QUOTA_PERIOD_SECONDS", default=24 * 3600)
# image_url / callback_url: only public addresses, except these CIDR networks.
UPSCALER_URL_FETCH_ALLOWLIST = env.list("UPSCALER_URL_FETCH_ALLOWLIST", default=[])
UPSCALER_URL_FETCH_TIMEOUT = env.float("UPSCALER_URL_FETCH_TIMEOUT", default=10.0)  # connect/read
UPSCALER_URL_FETCH_TOTAL_TIMEOUT = env.float("UPSCALER_URL_FETCH_TOTAL_TIMEOUT", default=30.0)
UPSCALER_URL_FETCH_MAX_REDIRECTS = env.int("UPSCALER_URL_FETCH_MAX_REDIRECTS", default=5)
UPSCALER_WEBHOOK_TIMEOUT = env.float("UPSCALER_WEBHOOK_TIMEOUT", default=10.0)
UPSCALER_WEBHOOK_MAX_ATTEMPTS = env.int("UPSCALER_WEBHOOK_MAX_ATTEMPTS", default=6)
# Wait after failed attempt n: base * 2^(n-1) seconds (2, 4, 8, 16, 32 by default).
UPSCALER_WEBHOOK_BACKOFF_SECONDS = env.float("UPSCALER_WEBHOOK_BACKOFF_SECONDS", default=2.0)
# Absolute URLs in webhooks (e.g. https://sr.example.org); relative ones when empty.
UPSCALER_PUBLIC_URL = env.str("UPSCALER_PUBLIC_URL", default="")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first: its "Token" challenge makes unauthenticated requests 401, not 403.
        "upscaler.api.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",  # CSRF-checked
    ],
    "DEFAULT_PERMISSION_CLASSES": ["upscaler.api.authentication.ApiAccess"],
    "DEFAULT_THROTTLE_CLASSES": [
        "upscaler.api.throttles.UserThrottle",
        "upscaler.api.throttles.AnonThrottle",
    ],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "upscaler.api.parsers.LimitedJSONParser",
        "rest_framework.parsers.MultiPartParser",
        "rest_framework.parsers.FormParser",
    ],
    "EXCEPTION_HANDLER": "upscaler.api.errors.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "srsite API",
    "DESCRIPTION": "Image super-resolution jobs: submit, watch, download. "
    "Authenticate with `Authorization: Token <key>` (create keys on the site's API tokens page).",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI from the drf-spectacular-sidecar package: no CDN at runtime.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}
