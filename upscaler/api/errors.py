"""The one API error shape, for every error of every endpoint:

    {"error": {"code": "<machine-readable>", "message": "<for humans>", "fields": {"<field>": ["..."]}}}

`fields` is present for input errors only. Services raise Django ValidationErrors that name
their field ({"scale": [ValidationError(message, code=...)]}); this handler turns them (and DRF's
own exceptions) into a status and this shape, with the first error's code as `code`. Each field
is named as the API calls it (image, image_url, scale, model, format, callback_url).
"""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied, RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

from upscaler.services.api_submissions import IdempotencyKeyReusedError
from upscaler.services.quotas import QuotaExceededError

logger = logging.getLogger(__name__)

DRF_CODES = {
    exceptions.NotAuthenticated: "not_authenticated",
    exceptions.AuthenticationFailed: "authentication_failed",
    exceptions.PermissionDenied: "permission_denied",
    exceptions.NotFound: "not_found",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.NotAcceptable: "not_acceptable",
    exceptions.UnsupportedMediaType: "unsupported_media_type",
    exceptions.ParseError: "malformed_request",
    exceptions.Throttled: "throttled",
}


def error_body(code: str, message: str, fields: dict | None = None) -> dict:
    error = {"code": code, "message": message}
    if fields:
        error["fields"] = fields
    return {"error": error}


def exception_handler(exc, context):
    if isinstance(exc, QuotaExceededError):
        return Response(
            error_body("quota_exceeded", exc.messages[0]),
            status=status.HTTP_429_TOO_MANY_REQUESTS,
            headers={"Retry-After": str(exc.retry_after)},
        )
    if isinstance(exc, IdempotencyKeyReusedError):
        # 422 as in the IETF Idempotency-Key draft: the request is well formed but conflicts.
        return Response(error_body("idempotency_key_reused", exc.messages[0]),
                        status=status.HTTP_422_UNPROCESSABLE_ENTITY)
    if isinstance(exc, DjangoValidationError):
        return _service_validation_error(exc)
    if isinstance(exc, RequestDataTooBig):
        # Django's cap on form fields (DATA_UPLOAD_MAX_MEMORY_SIZE): the client's request, not our
        # fault. A base64 image belongs in a JSON body, or the file in a multipart file part.
        return Response(error_body("too_large", "A form field is too large: send the image as a file "
                                   "(multipart) or as JSON image_base64."),
                        status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
    if isinstance(exc, TooManyFieldsSent | TooManyFilesSent):
        return Response(error_body("too_many_fields", "The request has too many fields or files."),
                        status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None:
        logger.exception("unhandled API error", exc_info=exc)
        return Response(
            error_body("server_error", "Internal error; the administrators can see it in the log."),
            status=status.HTTP_500_INTERNAL_SERVER_ERROR,
        )
    if isinstance(exc, exceptions.ValidationError):
        response.data = error_body(
            "invalid", "The request has invalid fields.", _fields(exc.detail)
        )
        return response
    code = next((c for cls, c in DRF_CODES.items() if isinstance(exc, cls)), None)
    code = code or str(getattr(exc, "default_code", "error"))
    message = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
    if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
        message = f"Too many requests; retry in {int(exc.wait) + 1} seconds."
    response.data = error_body(code, str(message))
    return response


def _service_validation_error(exc: DjangoValidationError) -> Response:
    if hasattr(exc, "error_dict"):
        errors, fields = exc.error_dict, exc.message_dict
    else:
        # A refusal that names no field is about the request as a whole, as in DRF's own errors.
        key = api_settings.NON_FIELD_ERRORS_KEY
        errors, fields = {key: exc.error_list}, {key: exc.messages}
    first = next(error for field_errors in errors.values() for error in field_errors)
    return Response(
        error_body(first.code or "invalid", " ".join(exc.messages), fields), status=status.HTTP_400_BAD_REQUEST
    )


def _fields(detail) -> dict:
    if isinstance(detail, dict):
        return {key: _messages(value) for key, value in detail.items()}
    return {"non_field_errors": _messages(detail)}


def _messages(value) -> list:
    if isinstance(value, dict):
        return [f"{k}: {m}" for k, v in value.items() for m in _messages(v)]
    if isinstance(value, list):
        return [m for item in value for m in _messages(item)]
    return [str(value)]
