"""API views (thin): parse input, call a service or a selector, shape the output.

Other people's submissions are answered with 404, exactly like missing ones, so that their
existence does not leak.
"""

from __future__ import annotations

import base64
import binascii

from django.conf import settings
from django.core.files.base import ContentFile
from django.http import Http404
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import ErrorDetail, ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from upscaler import selectors
from upscaler.api.errors import error_body
from upscaler.api.serializers import (
    CONTENT_TYPES,
    SubmissionOutputSerializer,
    SubmissionPageSerializer,
)
from upscaler.api.throttles import AnonThrottle, SubmitThrottle, UserThrottle
from upscaler.engine.config import SUPPORTED_SCALES
from upscaler.integrations import engine_provider
from upscaler.integrations.file_responses import stored_file_response
from upscaler.models import Result
from upscaler.services import lifecycle

IDEMPOTENCY_HEADER = "Idempotency-Key"
IDEMPOTENCY_KEY_MAX = 255

ERROR_RESPONSE = OpenApiResponse(description='{"error": {"code", "message", "fields"?}}')
COMMON_ERRORS = {401: ERROR_RESPONSE, 404: ERROR_RESPONSE, 429: ERROR_RESPONSE}


def _viewer(request) -> dict:
    session_key = None
    if not request.user.is_authenticated:
        if not request.session.session_key:
            request.session.save()  # anonymous API use (if allowed) is tied to a session
        session_key = request.session.session_key
    return {"user": request.user, "session_key": session_key}


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
        required=False, max_length=64, help_text="default: the server's default model for the scale"
    )
    format = serializers.ChoiceField(choices=Result.OutputFormat.values, default="png")


class SubmissionListCreateApi(APIView):
    """Your submissions (GET, paginated, newest first), or a new one (POST)."""

    throttle_classes = [UserThrottle, AnonThrottle, SubmitThrottle]

    @extend_schema_serializer(component_name="SubmissionCreateInput")
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

    @extend_schema(
        operation_id="submissions_list",
        parameters=[OpenApiParameter("page", int), OpenApiParameter("page_size", int)],
        responses={200: SubmissionPageSerializer, **COMMON_ERRORS},
    )
    def get(self, request):
        queryset = selectors.submission_list_visible(**_viewer(request)).prefetch_related("results")
        paginator = Pagination()
        page = paginator.paginate_queryset(queryset.order_by("-created", "id"), request, view=self)
        results = [r for s in page for r in s.results.all()]
        context = {"request": request, "queue_positions": selectors.result_queue_positions(results=results)}
        return paginator.get_paginated_response(
            SubmissionOutputSerializer(page, many=True, context=context).data
        )

    @extend_schema(
        operation_id="submissions_create",
        request={
            "multipart/form-data": InputSerializer,
            "application/json": InputSerializer,
        },
        parameters=[
            OpenApiParameter(
                IDEMPOTENCY_HEADER,
                str,
                OpenApiParameter.HEADER,
                description="a retried POST with the same key returns the first submission; "
                "the same key with a different request is refused with 422",
            )
        ],
        responses={
            202: SubmissionOutputSerializer,
            200: OpenApiResponse(
                SubmissionOutputSerializer,
                description="an existing submission: same Idempotency-Key, or the same image, "
                "model, scale and format already succeeded",
            ),
            400: ERROR_RESPONSE,
            413: ERROR_RESPONSE,
            422: ERROR_RESPONSE,
            **COMMON_ERRORS,
        },
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
            **_owner(request),
            "scale": data["scale"],
            "model_name": data.get("model"),
            "output_format": data["format"],
            "idempotency_key": key,
            "callback_url": data.get("callback_url", ""),
        }
        if "image_url" in data:
            outcome = lifecycle.submission_submit_url(url=data["image_url"], **options)
        else:
            upload = data.get("image") or ContentFile(data["image_base64"], name=data["image_name"])
            outcome = lifecycle.submission_submit(upload=upload, **options)
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


def _owner(request) -> dict:
    viewer = _viewer(request)
    return {"owner": viewer["user"], "session_key": viewer["session_key"]}


class SubmissionDetailApi(APIView):
    """One submission with its results (GET), or delete it and its files (DELETE)."""

    @extend_schema(operation_id="submissions_retrieve", responses={200: SubmissionOutputSerializer, **COMMON_ERRORS})
    def get(self, request, submission_id):
        return _submission_response(request, _get_submission(request, submission_id))

    @extend_schema(operation_id="submissions_destroy", responses={204: None, **COMMON_ERRORS})
    def delete(self, request, submission_id):
        lifecycle.submission_delete(submission=_get_submission(request, submission_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class SubmissionCancelApi(APIView):
    """Cancel every queued or running result of a submission."""

    @extend_schema(
        operation_id="submissions_cancel",
        request=None,
        responses={200: SubmissionOutputSerializer, 409: ERROR_RESPONSE, **COMMON_ERRORS},
    )
    def post(self, request, submission_id):
        submission = _get_submission(request, submission_id)
        if not lifecycle.submission_cancel(submission=submission):
            return Response(
                error_body("already_finished", "Nothing to cancel: every result is finished."),
                status=status.HTTP_409_CONFLICT,
            )
        return _submission_response(request, submission)


class SubmissionResultCreateApi(APIView):
    """Run a submission again with another model, scale or format."""

    throttle_classes = [UserThrottle, AnonThrottle, SubmitThrottle]

    @extend_schema_serializer(component_name="ResultCreateInput")
    class InputSerializer(JobOptionsSerializer):
        pass

    @extend_schema(
        operation_id="submissions_results_create",
        request=InputSerializer,
        responses={
            202: SubmissionOutputSerializer,
            200: OpenApiResponse(
                SubmissionOutputSerializer, description="an identical result already exists"
            ),
            400: ERROR_RESPONSE,
            **COMMON_ERRORS,
        },
    )
    def post(self, request, submission_id):
        submission = _get_submission(request, submission_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        _result, created = lifecycle.submission_rerun(
            submission=submission,
            **_viewer(request),
            scale=data["scale"],
            model_name=data.get("model"),
            output_format=data["format"],
        )
        return _submission_response(
            request, submission, status_code=status.HTTP_202_ACCEPTED if created else status.HTTP_200_OK
        )


class SubmissionOriginalApi(APIView):
    """The uploaded original, as it was received."""

    @extend_schema(
        operation_id="submissions_original",
        responses={
            (200, "application/octet-stream"): OpenApiTypes.BINARY,
            302: OpenApiResponse(description="Redirect to a short-lived signed URL (S3 storage)"),
            **COMMON_ERRORS,
        },
    )
    def get(self, request, submission_id):
        submission = _get_submission(request, submission_id)
        return stored_file_response(submission.original.storage, submission.original.name)


class ResultOutputApi(APIView):
    """A succeeded result's image (PNG, WebP or JPEG as requested)."""

    @extend_schema(
        operation_id="results_output",
        responses={
            (200, "application/octet-stream"): OpenApiTypes.BINARY,
            302: OpenApiResponse(description="Redirect to a short-lived signed URL (S3 storage)"),
            **COMMON_ERRORS,
        },
    )
    def get(self, request, result_id):
        result = selectors.result_get_visible(result_id=result_id, **_viewer(request))
        if result is None or result.status != Result.Status.SUCCEEDED:
            raise Http404
        return stored_file_response(
            result.output.storage, result.output.name, content_type=CONTENT_TYPES.get(result.output_format)
        )


class ModelListApi(APIView):
    """The models this server can run, with their scales."""

    @extend_schema_serializer(component_name="EngineModel")
    class OutputSerializer(serializers.Serializer):
        name = serializers.CharField()
        description = serializers.CharField()
        kind = serializers.CharField()
        scales = serializers.ListField(child=serializers.IntegerField())
        default_for_scales = serializers.ListField(
            child=serializers.IntegerField(), help_text="scales at which it is used when no model is named"
        )

    @extend_schema(operation_id="models_list", responses={200: OutputSerializer(many=True), **COMMON_ERRORS})
    def get(self, request):
        defaults = {scale: engine_provider.default_model_name(scale) for scale in SUPPORTED_SCALES}
        models = [
            {
                "name": m.name,
                "description": m.description,
                "kind": m.kind,
                "scales": list(m.scales),
                "default_for_scales": [s for s in m.scales if defaults.get(s) == m.name],
            }
            for m in engine_provider.list_models()
        ]
        return Response(self.OutputSerializer(models, many=True).data)
