"""A JSON parser with a body size limit (DRF's reads any size into memory)."""

from __future__ import annotations

import json

from django.conf import settings
from rest_framework import exceptions, status
from rest_framework.parsers import JSONParser

from upscaler.services.submissions import JSON_OVERHEAD_BYTES, upload_request_limit


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "too_large"


def json_body_limit() -> int:
    return upload_request_limit(overhead=JSON_OVERHEAD_BYTES)


class LimitedJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        limit = json_body_limit()
        request = (parser_context or {}).get("request")
        length = request.META.get("CONTENT_LENGTH") if request is not None else None
        if length and str(length).isdigit() and int(length) > limit:
            raise PayloadTooLarge(f"The JSON body is larger than {limit // (1024 * 1024)} MB.")
        data = stream.read(limit + 1) if stream is not None else b""
        if len(data) > limit:
            raise PayloadTooLarge(f"The JSON body is larger than {limit // (1024 * 1024)} MB.")
        try:
            return json.loads(data.decode(settings.DEFAULT_CHARSET or "utf-8"))
        except (ValueError, UnicodeDecodeError) as exc:
            raise exceptions.ParseError(f"JSON parse error: {exc}") from exc
