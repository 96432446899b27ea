"""HTML views (thin): upload page (and the inspect endpoint its script asks for the automatic
model), submission page and its JSON status, file downloads (owner, reviewer or public gallery,
see selectors) and format conversions, thumbnails, cancel."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST
from PIL import Image

from upscaler import notifications, selectors
from upscaler.integrations.file_responses import stored_file_response
from upscaler.models import Result, format_extension
from upscaler.selectors import request_owner, request_viewer
from upscaler.services.benchmarks import MIN_INPUT_SIDE, benchmark_create
from upscaler.services.downloads import result_download_ensure
from upscaler.services.references import result_reference_ensure, submission_public_original_ensure
from upscaler.services.result_queue import result_cancel
from upscaler.services.submissions import submission_create, upload_inspect
from upscaler.services.thumbnails import result_thumbnail_ensure, submission_thumbnail_ensure
from upscaler.web.forms import (
    AUTOMATIC,
    AUTOMATIC_HELP,
    AUTOMATIC_LABEL,
    InspectForm,
    UploadForm,
    upload_extensions,
    upload_formats_text,
)


@require_http_methods(["GET", "POST"])
def upload(request: HttpRequest) -> HttpResponse:
    status = 200
    if request.method == "POST":
        form = UploadForm(request.POST, request.FILES)
        if form.is_valid():
            create = benchmark_create if form.cleaned_data["mode"] == "benchmark" else submission_create
            try:
                submission = create(
                    **request_owner(request),
                    upload=form.cleaned_data["image"],
                    scale=form.cleaned_data["scale"],
                    model_name=form.cleaned_data["model"],  # None: chosen from the file
                )
            except ValidationError as exc:
                form.add_service_error(exc)
            else:
                return redirect("upscaler:submission", submission_id=submission.id)
        status = 400
    else:
        form = UploadForm()
    context = {"form": form, "models": _upload_models(), "limits": _upload_limits()}
    return render(request, "upscaler/upload.html", context, status=status)


def _upload_models() -> list[dict]:
    """The model select's options for the page's script (json_script): "Automatic" first, with
    the clean model of each scale it offers (for time estimates until the file's choice is
    known), then every model."""
    defaults = selectors.upload_automatic_defaults()
    automatic = {
        "name": AUTOMATIC, "label": AUTOMATIC_LABEL, "title": AUTOMATIC_LABEL, "description": AUTOMATIC_HELP,
        "kind": "automatic", "scales": sorted(defaults), "defaults": {str(s): name for s, name in defaults.items()},
        "ms_per_megapixel": None,
    }
    return [automatic, *selectors.upload_model_options()]


@require_POST
def upload_inspect_view(request: HttpRequest) -> JsonResponse:
    """The automatic choice for a file the visitor has picked, before the upload: the page's
    script posts the file and the scale (same origin, with the form's CSRF token), and shows the
    answer next to the model field. Checked like an upload; nothing is stored, no session started."""
    form = InspectForm(request.POST, request.FILES)
    if not form.is_valid():
        fields = {name: [str(e) for e in errors] for name, errors in form.errors.items()}
        return _json_error("invalid", "Send an image and a scale.", fields=fields)
    try:
        provenance, choice = upload_inspect(upload=form.cleaned_data["image"], scale=form.cleaned_data["scale"])
    except ValidationError as exc:
        # The service names the field ("image") and gives a code, as for an upload.
        errors = exc.error_dict if hasattr(exc, "error_dict") else {"image": exc.error_list}
        first = next(iter(errors.values()))[0]
        fields = {name: [m for e in field_errors for m in e.messages] for name, field_errors in errors.items()}
        return _json_error(first.code or "invalid", " ".join(first.messages), fields=fields)
    label = selectors.model_label(model_name=choice.name)
    return JsonResponse({
        "format": provenance.format,
        "quality": provenance.quality,
        "noise": None if provenance.noise is None else round(provenance.noise, 1),
        "summary": provenance.summary,
        "model": choice.name,
        "label": label,
        "title": selectors.model_title(label=label, model_name=choice.name),
        "reason": choice.reason,
        "text": selectors.model_choice_text(reason=choice.reason, model_name=choice.name),
    })


def _json_error(code: str, message: str, *, fields: dict, status: int = 400) -> JsonResponse:
    # The API's error shape (api/errors.py), so that scripts read one kind of error.
    return JsonResponse({"error": {"code": code, "message": message, "fields": fields}}, status=status)


def _upload_limits() -> dict:
    """The server's rules the upload page's script checks before anything is sent (json_script:
    the script copies none of them)."""
    return {
        "max_upload_bytes": settings.UPSCALER_MAX_UPLOAD_BYTES,
        "max_input_pixels": settings.UPSCALER_MAX_INPUT_PIXELS,
        "max_output_pixels": settings.UPSCALER_MAX_OUTPUT_PIXELS,
        "min_benchmark_side": MIN_INPUT_SIDE,
        "formats": upload_formats_text(),
        "extensions": upload_extensions(),
    }


def _submission_page_config() -> dict:
    """What the submission page's script needs to know of the server (json_script)."""
    return {
        "status_labels": dict(Result.Status.choices),
        "close_forbidden": notifications.CLOSE_FORBIDDEN,
    }


def submission_detail(request: HttpRequest, submission_id) -> HttpResponse:
    submission = selectors.submission_get_visible(submission_id=submission_id, **request_viewer(request))
    if submission is None:
        raise Http404("No such submission")
    results = selectors.submission_results(submission_id=submission.id)
    positions = selectors.result_queue_positions(results=results)
    for result in results:
        result.submission = submission  # one row for every result's target_size
        result.queue_position = positions.get(result.id)
        width, height = result.target_size
        result.estimate_ms = selectors.result_estimate_ms(model_name=result.model_name, output_pixels=width * height)
        result.model_title = selectors.model_title_of(model_name=result.model_name)
        result.model_choice_text = selectors.model_choice_text(
            reason=result.model_choice_reason, model_name=result.model_name
        )
    context = {
        "submission": submission,
        "results": results,
        "websocket_path": notifications.websocket_path(submission.id),
        "config": _submission_page_config(),
    }
    return render(request, "upscaler/submission.html", context)


@never_cache
def submission_poll(request: HttpRequest, submission_id) -> JsonResponse:
    """What the websocket would say, for the page's polling fallback."""
    submission = selectors.submission_get_visible(submission_id=submission_id, **request_viewer(request))
    if submission is None:
        raise Http404("No such submission")
    return JsonResponse(selectors.submission_status_payload(submission=submission))


def _files_viewable_submission(request: HttpRequest, submission_id):
    submission = selectors.submission_get_files_viewable(
        submission_id=submission_id, **request_viewer(request)
    )
    if submission is None:
        raise Http404("No such submission")
    return submission


def submission_original(request: HttpRequest, submission_id) -> HttpResponse:
    submission = _files_viewable_submission(request, submission_id)
    viewer = request_viewer(request)
    if not selectors.viewer_may_see_upload(submission=submission, **viewer):
        # A gallery visitor: the pixels, never the uploaded file with its metadata.
        name = submission_public_original_ensure(submission=submission)
        return stored_file_response(submission.original.storage, name, content_type="image/png",
                                    filename=f"{submission.id}.png")
    # The type of what was decoded, never one guessed from bytes or a client's file name: a
    # polyglot (an image that is also HTML, JS or ZIP) is then only ever an image to a browser.
    Image.init()  # registers every format's MIME type
    content_type = Image.MIME.get(submission.format.upper(), "application/octet-stream")
    filename = f"{submission.id}.{format_extension(submission.format)}"
    return stored_file_response(
        submission.original.storage, submission.original.name, content_type=content_type, filename=filename
    )


def submission_ground_truth(request: HttpRequest, submission_id) -> HttpResponse:
    submission = _files_viewable_submission(request, submission_id)
    if not submission.ground_truth:
        raise Http404("Not a benchmark")
    return stored_file_response(submission.ground_truth.storage, submission.ground_truth.name,
                                content_type="image/png")


def submission_thumbnail(request: HttpRequest, submission_id) -> HttpResponse:
    submission = _files_viewable_submission(request, submission_id)
    name = submission_thumbnail_ensure(submission=submission)
    return stored_file_response(submission.original.storage, name, content_type="image/png")


def _visible_succeeded_result(request: HttpRequest, result_id):
    result = selectors.result_get_files_viewable(result_id=result_id, **request_viewer(request))
    if result is None or result.status != result.Status.SUCCEEDED:
        raise Http404("No such result")
    return result


def result_output(request: HttpRequest, result_id) -> HttpResponse:
    result = _visible_succeeded_result(request, result_id)
    # Signed URLs and local files alike: the stored name's extension gives the content type.
    return stored_file_response(result.output.storage, result.output.name)


def result_download(request: HttpRequest, result_id, fmt: str) -> HttpResponse:
    if fmt not in Result.OutputFormat.values:
        raise Http404("No such format")
    result = _visible_succeeded_result(request, result_id)
    name = result_download_ensure(result=result, fmt=fmt)
    filename = f"{result.submission_id}-{result.model_name}-x{result.scale}.{format_extension(fmt)}"
    content_type = Result.OutputFormat(fmt).content_type
    return stored_file_response(
        result.output.storage, name, content_type=content_type, as_attachment=True, filename=filename
    )


def result_reference(request: HttpRequest, result_id) -> HttpResponse:
    result = _visible_succeeded_result(request, result_id)
    name = result_reference_ensure(result=result)
    return stored_file_response(result.output.storage, name, content_type="image/png")


def result_thumbnail(request: HttpRequest, result_id) -> HttpResponse:
    result = _visible_succeeded_result(request, result_id)
    name = result_thumbnail_ensure(result=result)
    return stored_file_response(result.output.storage, name, content_type="image/png")


@require_POST
def result_cancel_view(request: HttpRequest, result_id) -> HttpResponse:
    result = selectors.result_get_visible(result_id=result_id, **request_viewer(request))
    if result is None:
        raise Http404("No such result")
    result_cancel(result_id=result.id)
    return redirect("upscaler:submission", submission_id=result.submission_id)
