"""How the file views answer once they have checked who may see a stored file: stream it from
local storage, or redirect to a short-lived signed URL when the storage can make one (S3), so
that image bytes do not pass through the web processes."""

from __future__ import annotations

import inspect
import mimetypes

from django.http import FileResponse, HttpResponse, HttpResponseRedirect

from upscaler.security import FILE_CSP


def storage_signs_urls(storage) -> bool:
    """Storages whose url() takes an expiry make signed URLs (django-storages' S3); the local
    filesystem's url() would point at MEDIA_URL, which is deliberately not served."""
    try:
        return "expire" in inspect.signature(storage.url).parameters
    except (TypeError, ValueError):
        return False


def stored_file_response(
    storage, name: str, *, content_type: str | None = None, filename: str | None = None,
    as_attachment: bool = False,
) -> HttpResponse:
    if storage_signs_urls(storage):
        content_type = content_type or mimetypes.guess_type(name)[0] or "application/octet-stream"
        parameters = {"ResponseContentType": content_type}
        if filename or as_attachment:
            disposition = "attachment" if as_attachment else "inline"
            parameters["ResponseContentDisposition"] = (
                f'{disposition}; filename="{filename}"' if filename else disposition
            )
        response = HttpResponseRedirect(storage.url(name, parameters=parameters))
        # The URL expires: a cached redirect would outlive it.
        response["Cache-Control"] = "private, no-store"
        return response
    response = FileResponse(
        storage.open(name, "rb"), content_type=content_type, as_attachment=as_attachment, filename=filename or ""
    )
    response["Content-Security-Policy"] = FILE_CSP
    return response
