"""HTML fragments the admin shows: thumbnails, the before/after comparison, result metrics."""

from __future__ import annotations

from django.urls import reverse
from django.utils.html import format_html, format_html_join

from upscaler.models import Result, Submission

# Pixels: list thumbnails are drawn at this size, comparison images at most this wide.
LIST_THUMB_PX = 80
COMPARE_MAX_PX = 480


def thumbnail(url: str | None, alt: str) -> str:
    if not url:
        return "—"
    return format_html(
        '<img src="{}" alt="{}" loading="lazy" style="max-width:{}px;max-height:{}px">',
        url,
        alt,
        LIST_THUMB_PX,
        LIST_THUMB_PX,
    )


def submission_thumbnail(submission: Submission) -> str:
    return thumbnail(reverse("upscaler:submission-thumbnail", args=[submission.id]), "input")


def result_thumbnail(result: Result | None) -> str:
    if result is None or result.status != Result.Status.SUCCEEDED:
        return "—"
    return thumbnail(reverse("upscaler:result-thumbnail", args=[result.id]), "output")


def duration(start, end) -> str:
    if start is None or end is None:
        return "—"
    return f"{(end - start).total_seconds():.1f} s"


def timings(result: Result | None) -> str:
    if result is None:
        return "—"
    parts = [f"wait {duration(result.queued_at, result.started_at)}"]
    parts.append(f"run {duration(result.started_at, result.finished_at)}")
    if result.inference_ms is not None:
        parts.append(f"inference {result.inference_ms} ms")
    return " · ".join(parts)


def metrics_rows(result: Result) -> list[tuple[str, str]]:
    submission = result.submission
    output = f"{result.output_width}×{result.output_height}" if result.output_width else "—"
    return [
        ("Model", f"{result.model_name} ×{result.scale}"),
        ("Status", f"{result.get_status_display()} ({result.progress}%)"),
        ("Input", f"{submission.width}×{submission.height} {submission.format}, {submission.size_bytes:,} bytes"),
        ("Output", output),
        ("Queued", f"{result.queued_at:%Y-%m-%d %H:%M:%S}"),
        ("Waited", duration(result.queued_at, result.started_at)),
        ("Ran", duration(result.started_at, result.finished_at)),
        ("Inference", f"{result.inference_ms} ms" if result.inference_ms is not None else "—"),
        ("Tiles", f"{result.tiles_done}/{result.tiles_total}" if result.tiles_total else "—"),
        ("Attempts", str(result.attempts)),
        ("Error", result.error or "—"),
    ]


def metrics_table(result: Result) -> str:
    rows = format_html_join("", "<tr><th>{}</th><td>{}</td></tr>", metrics_rows(result))
    return format_html('<table class="result-metrics">{}</table>', rows)


def comparison(result: Result) -> str:
    """The original enlarged with bicubic beside the result (same size), with the metrics."""
    if result.status != Result.Status.SUCCEEDED:
        images = format_html('<p class="errornote">No output: {}</p>', result.error or result.get_status_display())
    else:
        reference = reverse("upscaler:result-reference", args=[result.id])
        output = reverse("upscaler:result-output", args=[result.id])
        images = format_html(
            '<div style="display:flex;gap:1em;flex-wrap:wrap">'
            '<figure><figcaption>Bicubic ×{scale} (before)</figcaption>'
            '<a href="{ref}"><img src="{ref}" alt="bicubic" style="max-width:{px}px"></a></figure>'
            '<figure><figcaption>{model} ×{scale} (after)</figcaption>'
            '<a href="{out}"><img src="{out}" alt="result" style="max-width:{px}px"></a></figure>'
            "</div>",
            scale=result.scale,
            model=result.model_name,
            ref=reference,
            out=output,
            px=COMPARE_MAX_PX,
        )
    return format_html('<div class="result-compare">{}{}</div>', images, metrics_table(result))
