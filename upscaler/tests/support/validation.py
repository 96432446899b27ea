"""Reading a service's ValidationError in tests: which fields it names, with which codes."""

from __future__ import annotations

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError


def error_codes(error: ValidationError) -> dict[str, list[str]]:
    """{field: [code, ...]}; an error that names no field is listed under NON_FIELD_ERRORS."""
    errors = error.error_dict if hasattr(error, "error_dict") else {NON_FIELD_ERRORS: error.error_list}
    return {field: [e.code for e in field_errors] for field, field_errors in errors.items()}
