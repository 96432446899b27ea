"""Production: PostgreSQL (DATABASE_URL), Redis (REDIS_URL), Celery `inference` workers, JSON logs,
HTTPS-only behind a TLS-terminating proxy (`manage.py check --deploy` passes with the defaults).

Django's secure defaults (nosniff, Referrer-Policy: same-origin, X-Frame-Options: DENY) are not
restated here: they already apply in every environment (security.py)."""

from django.core.exceptions import ImproperlyConfigured

from srsite.logs import logging_from_env

from .base import *  # noqa: F403
from .base import DATABASES, REDIS_URL, SECRET_KEY, STORAGES, env, job_backend

DEBUG = False
#: Values from .env.example and the dev settings: a site running on one of them signs every
#: session, CSRF token and webhook with a key anyone can read.
PLACEHOLDER_SECRETS = frozenset({"change-me", "change-me-too", "changeme", "secret",
                                 "dev-insecure-secret-key-do-not-use-in-production"})
#: Django's own check (security.W009) asks for at least 50 characters.
MIN_SECRET_KEY_LENGTH = 50
if not SECRET_KEY:
    raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set in production")
if SECRET_KEY in PLACEHOLDER_SECRETS or SECRET_KEY.startswith("django-insecure") or (
    len(SECRET_KEY) < MIN_SECRET_KEY_LENGTH
):
    raise ImproperlyConfigured(
        f"DJANGO_SECRET_KEY must be a long random value in production ({MIN_SECRET_KEY_LENGTH}+ characters, "
        "not a placeholder): python -c 'import secrets; print(secrets.token_urlsafe(50))'"
    )
if env.str("AWS_SECRET_ACCESS_KEY", default="") in PLACEHOLDER_SECRETS:
    raise ImproperlyConfigured("AWS_SECRET_ACCESS_KEY is a placeholder: set a real secret for the object store")
if not REDIS_URL:
    raise ImproperlyConfigured("REDIS_URL must be set in production")
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    raise ImproperlyConfigured("DATABASE_URL must point at PostgreSQL in production")

UPSCALER_JOB_BACKEND = job_backend("celery")
LOGGING = logging_from_env(default_format="json")

# Uploads and results: the local filesystem (DJANGO_MEDIA_ROOT), or S3 when AWS_* is set (storage.py).
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "srsite.staticfiles.StaticFilesStorage"}}

# --- HTTPS ---------------------------------------------------------------------------------
# TLS is terminated by a reverse proxy in front. It must send X-Forwarded-Proto; set
# DJANGO_BEHIND_TLS_PROXY=true so that Django believes it (only when the proxy overwrites the
# header: a client could send it otherwise).
if env.bool("DJANGO_BEHIND_TLS_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Plain-HTTP requests are redirected to HTTPS, except the probes (container healthchecks and
# Prometheus talk plain HTTP to the process directly). false when the proxy redirects itself.
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
# HSTS: browsers refuse plain HTTP for this long. Start low on a new domain, then raise it.
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=30 * 24 * 3600)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=True)
_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=True)
SESSION_COOKIE_SECURE = _SECURE
CSRF_COOKIE_SECURE = _SECURE
