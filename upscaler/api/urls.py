"""URLs of the API (/api/v1/), its schema and its docs."""

from django.urls import include, path, re_path
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.decorators import api_view, authentication_classes, permission_classes
from rest_framework.exceptions import NotFound

from upscaler.api import apis

app_name = "api"


@extend_schema(exclude=True)
@api_view(["GET", "POST", "PUT", "PATCH", "DELETE"])
@authentication_classes([])
@permission_classes([])
def not_found(request, rest=""):
    """Unknown API paths answer in the API's error shape, not with an HTML page."""
    raise NotFound("No such API endpoint.")


v1 = [
    path("submissions/", apis.SubmissionListCreateApi.as_view(), name="submission-list"),
    path("submissions/<uuid:submission_id>/", apis.SubmissionDetailApi.as_view(), name="submission-detail"),
    path(
        "submissions/<uuid:submission_id>/cancel/",
        apis.SubmissionCancelApi.as_view(),
        name="submission-cancel",
    ),
    path(
        "submissions/<uuid:submission_id>/results/",
        apis.SubmissionResultCreateApi.as_view(),
        name="submission-results",
    ),
    path(
        "submissions/<uuid:submission_id>/original/",
        apis.SubmissionOriginalApi.as_view(),
        name="submission-original",
    ),
    path("results/<uuid:result_id>/output/", apis.ResultOutputApi.as_view(), name="result-output"),
    path("models/", apis.ModelListApi.as_view(), name="model-list"),
]

urlpatterns = [
    path("v1/", include(v1)),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's init script from this same URL (?script=) instead of
    # inlining it, so the page runs under the site's CSP (script-src 'self', no inline script).
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
    re_path(r"^(?P<rest>.*)$", not_found),
]
