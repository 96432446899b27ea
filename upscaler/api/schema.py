"""The OpenAPI description of the API views (drf-spectacular), kept apart from what the views do:
one class decorator per view (extend_schema_view), applied in apis.py. The nested serializers get
their component names here too, so the schema's names are all in one place."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_serializer,
    extend_schema_view,
)

from upscaler.api.serializers import SubmissionOutputSerializer, SubmissionPageSerializer

ERROR_RESPONSE = OpenApiResponse(description='{"error": {"code", "message", "fields"?}}')
COMMON_ERRORS = {401: ERROR_RESPONSE, 404: ERROR_RESPONSE, 429: ERROR_RESPONSE}
FILE_RESPONSES = {
    (200, "application/octet-stream"): OpenApiTypes.BINARY,
    302: OpenApiResponse(description="Redirect to a short-lived signed URL (S3 storage)"),
    **COMMON_ERRORS,
}


def _named(serializer, name: str):
    """Give a view's nested serializer its schema component name (drf-spectacular marks the class)."""
    return extend_schema_serializer(component_name=name)(serializer)


def submission_list_create(*, idempotency_header: str):
    def decorate(view):
        _named(view.InputSerializer, "SubmissionCreateInput")
        return extend_schema_view(
            get=extend_schema(
                operation_id="submissions_list",
                parameters=[OpenApiParameter("page", int), OpenApiParameter("page_size", int)],
                responses={200: SubmissionPageSerializer, **COMMON_ERRORS},
            ),
            post=extend_schema(
                operation_id="submissions_create",
                request={
                    "multipart/form-data": view.InputSerializer,
                    "application/json": view.InputSerializer,
                },
                parameters=[
                    OpenApiParameter(
                        idempotency_header,
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
            ),
        )(view)

    return decorate


submission_detail = extend_schema_view(
    get=extend_schema(
        operation_id="submissions_retrieve", responses={200: SubmissionOutputSerializer, **COMMON_ERRORS}
    ),
    delete=extend_schema(operation_id="submissions_destroy", responses={204: None, **COMMON_ERRORS}),
)

submission_cancel = extend_schema_view(
    post=extend_schema(
        operation_id="submissions_cancel",
        request=None,
        responses={200: SubmissionOutputSerializer, 409: ERROR_RESPONSE, **COMMON_ERRORS},
    )
)


def submission_result_create(view):
    _named(view.InputSerializer, "ResultCreateInput")
    return extend_schema_view(
        post=extend_schema(
            operation_id="submissions_results_create",
            request=view.InputSerializer,
            responses={
                202: SubmissionOutputSerializer,
                200: OpenApiResponse(SubmissionOutputSerializer, description="an identical result already exists"),
                400: ERROR_RESPONSE,
                **COMMON_ERRORS,
            },
        )
    )(view)


submission_original = extend_schema_view(
    get=extend_schema(operation_id="submissions_original", responses=FILE_RESPONSES)
)

result_output = extend_schema_view(get=extend_schema(operation_id="results_output", responses=FILE_RESPONSES))


def model_list(view):
    _named(view.OutputSerializer, "EngineModel")
    return extend_schema_view(
        get=extend_schema(
            operation_id="models_list", responses={200: view.OutputSerializer(many=True), **COMMON_ERRORS}
        )
    )(view)
