"""URLs of the upscaler pages."""

from django.urls import path

from upscaler.web import views

app_name = "upscaler"

urlpatterns = [
    path("", views.upload, name="upload"),
    path("inspect", views.upload_inspect_view, name="upload-inspect"),
    path("s/<uuid:submission_id>/", views.submission_detail, name="submission"),
    path("s/<uuid:submission_id>/status.json", views.submission_poll, name="submission-status"),
    path("s/<uuid:submission_id>/original", views.submission_original, name="submission-original"),
    path("s/<uuid:submission_id>/ground-truth.png", views.submission_ground_truth, name="submission-ground-truth"),
    path("s/<uuid:submission_id>/thumb.png", views.submission_thumbnail, name="submission-thumbnail"),
    path("r/<uuid:result_id>/output.png", views.result_output, name="result-output"),
    path("r/<uuid:result_id>/download.<str:fmt>", views.result_download, name="result-download"),
    path("r/<uuid:result_id>/bicubic.png", views.result_reference, name="result-reference"),
    path("r/<uuid:result_id>/thumb.png", views.result_thumbnail, name="result-thumbnail"),
    path("r/<uuid:result_id>/cancel", views.result_cancel_view, name="result-cancel"),
]
