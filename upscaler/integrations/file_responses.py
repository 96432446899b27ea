"""How a stored file goes out once a view (web or API) has checked who may see it: streamed from
local storage, or a redirect to a short-lived signed URL when the storage makes them (S3), so that
image bytes do not pass through the web processes."""

from __future__ import annotations

import mimetypes

from django.http import FileResponse, HttpResponse, HttpResponseRedirect

# A served file opened directly (or a polyglot a browser might be tricked into rendering) gets no
# script, no plugin, no same-origin rights: uploads and results are never a document that runs.
FILE_CSP = "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; sandbox"


def storage_signs_urls(storage) -> bool:
    """Storages that say so (integrations/storage.py's S3) hand out signed URLs; the local
    filesystem's url() would point at MEDIA_URL, which is deliberately not served."""
    return bool(getattr(storage, "signs_urls", False))


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
