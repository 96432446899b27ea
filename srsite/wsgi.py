"""WSGI entry point (HTTP only; websockets and the embedded job runner need asgi.py)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "srsite.settings.dev")

application = get_wsgi_application()
