"""App config for upscaler. Deliberately loads no model here (see STYLE.md, pattern 3)."""

from django.apps import AppConfig


class UpscalerConfig(AppConfig):
    name = "upscaler"
    verbose_name = "Upscaler"
    default_auto_field = "django.db.models.BigAutoField"
