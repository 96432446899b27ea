"""Root URLconf."""

from django.contrib import admin
from django.http import HttpResponse
from django.urls import include, path


def healthz(request):
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    path("api/", include("upscaler.api.urls")),
    path("account/", include("upscaler.account_urls")),
    path("gallery/", include("gallery.urls")),
    path("", include("upscaler.urls")),
]
