"""Settings shared by every environment, read from environment variables (see .env.example).

Django's core settings are here; each other subject has its module, pulled in at the end
(HackSoft's layout): database, storage, security, channels_celery (Redis, Celery), upscaler, api.
dev.py, test.py and production.py only override, and each picks its job backend and log format.
"""

from .env import BASE_DIR, DATA_DIR, env  # noqa: F401 (DATA_DIR: for dev.py and test.py)

SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "channels",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "csp",  # its system checks catch settings in the pre-4.0 format
    "axes",  # failed sign-ins, for the lockout (security.py)
    "upscaler",
    "gallery",
]

MIDDLEWARE = [
    # First: counts every response (even security redirects) and binds the log context.
    "upscaler.ops.middleware.RequestObservabilityMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # CONTENT_SECURITY_POLICY (security.py) on every response that has no policy of its own.
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks: turns a locked-out sign-in into its 429 page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "srsite.urls"
ASGI_APPLICATION = "srsite.asgi.application"
WSGI_APPLICATION = "srsite.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "api-tokens"
LOGOUT_REDIRECT_URL = "upscaler:upload"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# LOGGING is set by dev.py, test.py and production.py, each with its default format, through
# srsite.logs.logging_from_env (DJANGO_LOG_FORMAT, DJANGO_LOG_LEVEL; gunicorn.conf.py uses it too).

from .api import *  # noqa: E402, F403
from .channels_celery import *  # noqa: E402, F403
from .database import *  # noqa: E402, F403
from .security import *  # noqa: E402, F403
from .storage import *  # noqa: E402, F403
from .upscaler import *  # noqa: E402, F403
from .upscaler import job_backend  # noqa: E402, F401 (each environment's module calls it)
