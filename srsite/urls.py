"""Root URLconf."""

from django.contrib import admin
from django.urls import include, path

from upscaler.ops import views as ops

urlpatterns = [
    path("admin/", admin.site.urls),
    path("healthz", ops.healthz, name="healthz"),
    path("readyz", ops.readyz, name="readyz"),
    path("metrics", ops.metrics_view, name="metrics"),
    path("api/", include("upscaler.api.urls")),
    path("account/", include("upscaler.web.account_urls")),
    path("gallery/", include("gallery.urls")),
    path("", include("upscaler.web.urls")),
]
