"""The Celery application; workers run `celery -A srsite worker -Q inference`."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "srsite.settings.dev")

app = Celery("srsite")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
