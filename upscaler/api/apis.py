"""API views (thin): parse input, call a service or a selector, shape the output. Their OpenAPI
description is api/schema.py.

Other people's submissions are answered with 404, exactly like missing ones, so that their
existence does not leak. Every request's viewer comes from selectors.request_viewer with
`start_session=True`: anonymous API use (if allowed) is tied to the session its first answer
starts, where the HTML pages only start one when they create something.
"""

from __future__ import annotations

import base64
import binascii

from django.conf import settings
from django.core.files.base import ContentFile
from django.http import Http404
from django.urls import reverse
from rest_framework import serializers, status
from rest_framework.exceptions import ErrorDetail, ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from upscaler import selectors
from upscaler.api import schema
from upscaler.api.errors import error_body
from upscaler.api.serializers import SubmissionOutputSerializer
from upscaler.api.throttles import AnonThrottle, SubmitThrottle, UserThrottle
from upscaler.engine.config import SUPPORTED_SCALES
from upscaler.integrations import engine_provider
from upscaler.integrations.file_responses import stored_file_response
from upscaler.models import Result
from upscaler.services import api_submissions
from upscaler.services.deletion import submissions_delete

IDEMPOTENCY_HEADER = "Idempotency-Key"
IDEMPOTENCY_KEY_MAX = 255


def _viewer(request) -> dict:
    # The one viewer function, with the API's difference: a session from the first request on.
    return selectors.request_viewer(request, start_session=True)


def _get_submission(request, submission_id):
    submission = selectors.submission_get_visible(submission_id=submission_id, **_viewer(request))
    if submission is None:
        raise Http404
    return submission


def _submission_response(request, submission, *, status_code=status.HTTP_200_OK, headers=None):
    results = selectors.submission_results(submission_id=submission.id)
    context = {"request": request, "queue_positions": selectors.result_queue_positions(results=results)}
    data = SubmissionOutputSerializer(submission, context=context).data
    return Response(data, status=status_code, headers=headers)


class Pagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 100

    def get_page_size(self, request):
        self.page_size = settings.UPSCALER_API_PAGE_SIZE
        return super().get_page_size(request)


class JobOptionsSerializer(serializers.Serializer):
    scale = serializers.ChoiceField(choices=SUPPORTED_SCALES, default=4)
    model = serializers.CharField(
        required=False, max_length=64,
        help_text="default: chosen from the file (lossy or noisy images: the photo model, when one offers "
        "the scale; else the server's default model for the scale); the result's model_choice says why",
    )
    format = serializers.ChoiceField(choices=Result.OutputFormat.values, default="png")


@schema.submission_list_create(idempotency_header=IDEMPOTENCY_HEADER)
class SubmissionListCreateApi(APIView):
    """Your submissions (GET, paginated, newest first), or a new one (POST)."""

    throttle_classes = [UserThrottle, AnonThrottle, SubmitThrottle]

    class InputSerializer(JobOptionsSerializer):
        image = serializers.FileField(required=False, help_text="multipart upload")
        image_base64 = serializers.CharField(
            required=False, trim_whitespace=True, help_text="the file's bytes in base64 (JSON)"
        )
        image_name = serializers.CharField(required=False, max_length=255, default="image")
        image_url = serializers.CharField(
            required=False, max_length=2000, help_text="http(s) URL on a public address"
        )
        callback_url = serializers.URLField(
            required=False, max_length=2000, help_text="receives a signed POST when done"
        )

        def validate_image_base64(self, value: str) -> bytes:
            if value.startswith("data:") and "," in value:
                value = value.split(",", 1)[1]  # a data: URL
            if len(value) > settings.UPSCALER_MAX_UPLOAD_BYTES * 4 // 3 + 4:
                limit_mb = settings.UPSCALER_MAX_UPLOAD_BYTES / (1024 * 1024)
                raise ValidationError(
                    ErrorDetail(f"The file is larger than {limit_mb:.0f} MB.", code="too_large")
                )
            try:
                return base64.b64decode("".join(value.split()), validate=True)
            except (binascii.Error, ValueError) as exc:
                raise ValidationError("Not valid base64.") from exc

        def validate(self, attrs):
            given = [name for name in ("image", "image_base64", "image_url") if name in attrs]
            if len(given) != 1:
                message = (
                    "Give exactly one of image, image_base64, image_url"
                    + (f" (got {', '.join(given)})." if given else ".")
                )
                raise ValidationError({"image": [message]})
            return attrs

    def get(self, request):
        queryset = selectors.submission_list_visible(**_viewer(request)).prefetch_related("results")
        paginator = Pagination()
        page = paginator.paginate_queryset(queryset.order_by("-created", "id"), request, view=self)
        results = [r for s in page for r in s.results.all()]
        context = {"request": request, "queue_positions": selectors.result_queue_positions(results=results)}
        return paginator.get_paginated_response(
            SubmissionOutputSerializer(page, many=True, context=context).data
        )

    def post(self, request):
        key = request.headers.get(IDEMPOTENCY_HEADER, "").strip()
        if len(key) > IDEMPOTENCY_KEY_MAX or not key.isprintable() or not key.isascii():
            raise ValidationError(
                {IDEMPOTENCY_HEADER: [f"At most {IDEMPOTENCY_KEY_MAX} printable ASCII characters."]}
            )
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        options = {
            **selectors.request_owner(request),
            "scale": data["scale"],
            "model_name": data.get("model"),
            "output_format": data["format"],
            "idempotency_key": key,
            "callback_url": data.get("callback_url", ""),
        }
        if "image_url" in data:
            outcome = api_submissions.submission_submit_url(url=data["image_url"], **options)
        else:
            upload = data.get("image") or ContentFile(data["image_base64"], name=data["image_name"])
            outcome = api_submissions.submission_submit(upload=upload, **options)
        headers = {
            "Location": request.build_absolute_uri(
                reverse("api:submission-detail", args=[outcome.submission.id])
            )
        }
        if outcome.reused:
            headers["X-Srsite-Reused"] = outcome.reused
        return _submission_response(
            request,
            outcome.submission,
            status_code=status.HTTP_202_ACCEPTED if outcome.created else status.HTTP_200_OK,
            headers=headers,
        )


@schema.submission_detail
class SubmissionDetailApi(APIView):
    """One submission with its results (GET), or delete it and its files (DELETE)."""

    def get(self, request, submission_id):
        return _submission_response(request, _get_submission(request, submission_id))

    def delete(self, request, submission_id):
        submissions_delete(submission_ids=[_get_submission(request, submission_id).pk])
        return Response(status=status.HTTP_204_NO_CONTENT)


@schema.submission_cancel
class SubmissionCancelApi(APIView):
    """Cancel every queued or running result of a submission."""

    def post(self, request, submission_id):
        submission = _get_submission(request, submission_id)
        if not api_submissions.submission_cancel(submission=submission):
            return Response(
                error_body("already_finished", "Nothing to cancel: every result is finished."),
                status=status.HTTP_409_CONFLICT,
            )
        return _submission_response(request, submission)


@schema.submission_result_create
class SubmissionResultCreateApi(APIView):
    """Run a submission again with another model, scale or format."""

    throttle_classes = [UserThrottle, AnonThrottle, SubmitThrottle]

    class InputSerializer(JobOptionsSerializer):
        pass

    def post(self, request, submission_id):
        submission = _get_submission(request, submission_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        _result, created = api_submissions.submission_rerun(
            submission=submission,
            **selectors.request_owner(request),
            scale=data["scale"],
            model_name=data.get("model"),
            output_format=data["format"],
        )
        return _submission_response(
            request, submission, status_code=status.HTTP_202_ACCEPTED if created else status.HTTP_200_OK
        )


@schema.submission_original
class SubmissionOriginalApi(APIView):
    """The uploaded original, as it was received."""

    def get(self, request, submission_id):
        submission = _get_submission(request, submission_id)
        return stored_file_response(submission.original.storage, submission.original.name)


@schema.result_output
class ResultOutputApi(APIView):
    """A succeeded result's image (PNG, WebP or JPEG as requested)."""

    def get(self, request, result_id):
        result = selectors.result_get_visible(result_id=result_id, **_viewer(request))
        if result is None or result.status != Result.Status.SUCCEEDED:
            raise Http404
        content_type = Result.OutputFormat(result.output_format).content_type
        return stored_file_response(result.output.storage, result.output.name, content_type=content_type)


@schema.model_list
class ModelListApi(APIView):
    """The models this server can run, with their scales."""

    class OutputSerializer(serializers.Serializer):
        name = serializers.CharField()
        label = serializers.CharField(help_text='for people, e.g. "Faithful"; third-party models: their name')
        description = serializers.CharField()
        kind = serializers.CharField()
        scales = serializers.ListField(child=serializers.IntegerField())
        default_for_scales = serializers.ListField(
            child=serializers.IntegerField(),
            help_text="scales at which it is the clean model of the automatic choice (used for clean files "
            "when no model is named)",
        )

    def get(self, request):
        defaults = {scale: engine_provider.default_model_name(scale) for scale in SUPPORTED_SCALES}
        models = [
            {
                "name": m.name,
                "label": m.label,
                "description": m.description,
                "kind": m.kind,
                "scales": list(m.scales),
                "default_for_scales": [s for s in m.scales if defaults.get(s) == m.name],
            }
            for m in engine_provider.list_models()
        ]
        return Response(self.OutputSerializer(models, many=True).data)
