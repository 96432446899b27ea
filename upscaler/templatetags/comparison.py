"""Template tags of the comparison pages (submission, gallery): the viewer's images, downloads
and benchmark scores of one result."""

from __future__ import annotations

from django import template
from django.urls import reverse

from upscaler import selectors
from upscaler.models import Result, Submission

register = template.Library()


@register.inclusion_tag("upscaler/_viewer.html")
def comparison_viewer(result: Result, lazy: bool = False) -> dict:
    """The before/after viewer of a result. `lazy`: the result is not done yet; the images are
    only fetched (and the viewer shown) when the page's script sees it succeed."""
    submission = result.submission
    images = [
        {"key": "bicubic", "label": "Bicubic reference",
         "src": reverse("upscaler:result-reference", args=[result.id])},
        {"key": "ours", "label": f"{selectors.model_title_of(model_name=result.model_name)} ×{result.scale}",
         "src": reverse("upscaler:result-output", args=[result.id])},
    ]
    if submission.kind == Submission.Kind.BENCHMARK:
        images.append(
            {"key": "truth", "label": "Ground truth",
             "src": reverse("upscaler:submission-ground-truth", args=[submission.id])}
        )
    width, height = result.target_size
    return {"images": images, "left": images[0], "right": images[1], "width": width, "height": height, "lazy": lazy}


@register.inclusion_tag("upscaler/_downloads.html")
def result_downloads(result: Result) -> dict:
    return {
        "links": [
            {"label": label, "format": fmt, "href": reverse("upscaler:result-download", args=[result.id, fmt])}
            for fmt, label in Result.OutputFormat.choices
        ]
    }


@register.inclusion_tag("upscaler/_metrics.html")
def benchmark_metrics(result: Result) -> dict:
    return {"result": result}


def _difference(ours, baseline, digits: int) -> str:
    if ours is None or baseline is None:
        return ""
    return f"{ours - baseline:+.{digits}f}"


@register.filter
def psnr_gain(ours, baseline) -> str:
    """Signed PSNR difference in dB ("+1.23"), or "" when a side is missing."""
    return _difference(ours, baseline, 2)


@register.filter
def ssim_gain(ours, baseline) -> str:
    return _difference(ours, baseline, 4)


@register.filter
def job_duration(result: Result) -> str:
    """Wall time from start to finish of a result's job ("3.2 s"), or "" if it did not run."""
    if not (result.started_at and result.finished_at):
        return ""
    seconds = (result.finished_at - result.started_at).total_seconds()
    return f"{seconds:.1f} s" if seconds < 120 else f"{seconds / 60:.1f} min"
