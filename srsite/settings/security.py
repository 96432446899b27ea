"""Security headers: the Content-Security-Policy of every response (django-csp's middleware).

Django's own defaults hold everywhere and are not restated: X-Content-Type-Options: nosniff,
Referrer-Policy: same-origin, X-Frame-Options: DENY. HTTPS settings are production's (production.py).
Served files carry a stricter policy of their own (upscaler/integrations/file_responses.py
FILE_CSP), which the middleware leaves alone: it only sets a header a response does not have.
"""

from datetime import timedelta
from urllib.parse import urlsplit

from .env import env
from .storage import STORAGES


def store_image_origins(storages: dict) -> list[str]:
    """Where browsers load images from besides us: the object store, when files are served
    through presigned URLs (its public endpoint, else the one the servers use, else AWS)."""
    options = storages["default"].get("OPTIONS")
    if options is None:
        return []
    endpoint = options["public_endpoint_url"] or options["endpoint_url"]
    if not endpoint:
        return ["https://*.amazonaws.com"]
    # The origin only: a path in a CSP source would also restrict which objects may load.
    parts = urlsplit(endpoint)
    return [f"{parts.scheme}://{parts.netloc}"]


UPSCALER_CSP_IMG_ORIGINS = store_image_origins(STORAGES)

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        # No inline script anywhere, the API docs included (SpectacularSwaggerSplitView).
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        # The pages set progress bar widths in markup; no script can be injected this way.
        "style-src-attr": ["'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:", *UPSCALER_CSP_IMG_ORIGINS],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

# --- Sign-in: brute-force protection (django-axes) -------------------------------------------------
# Both sign-in pages (the site's and the admin's) go through Django's authenticate(), which axes
# watches: after UPSCALER_LOGIN_FAILURE_LIMIT wrong passwords for one username from one address,
# that pair is refused (429) for UPSCALER_LOGIN_LOCKOUT_MINUTES; a success resets the count.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.int("UPSCALER_LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("UPSCALER_LOGIN_LOCKOUT_MINUTES", default=15))
# By username and address together: one attacker cannot lock a user out from everywhere.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
