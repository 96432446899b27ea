"""Time estimates from measured speeds, and the model options the upload page offers."""

from __future__ import annotations

import statistics

from upscaler.engine.config import SUPPORTED_SCALES
from upscaler.integrations import engine_provider
from upscaler.models import Result
from upscaler.selectors.model_labels import model_title

# Estimates use the median speed of this many recent succeeded results of a model...
ESTIMATE_SAMPLE = 25
# ...or, without history, a rough speed per model kind on a CPU (ms per output megapixel):
# bicubic is cheap; networks are thousands of times slower, third-party ones usually larger.
DEFAULT_MS_PER_MEGAPIXEL = {"bicubic": 60.0, "srresnet": 4000.0, "spandrel": 12000.0}
FALLBACK_MS_PER_MEGAPIXEL = 12000.0


def model_ms_per_megapixel(*, model_name: str, kind: str = "") -> float:
    """Median inference time per output megapixel of `model_name`'s recent succeeded results,
    or the default of its kind when it has none."""
    rows = (
        Result.objects.filter(
            model_name=model_name,
            status=Result.Status.SUCCEEDED,
            inference_ms__isnull=False,
            output_width__gt=0,
            output_height__gt=0,
        )
        .order_by("-finished_at")
        .values_list("inference_ms", "output_width", "output_height")[:ESTIMATE_SAMPLE]
    )
    speeds = [ms * 1e6 / (w * h) for ms, w, h in rows]
    if not speeds:
        return DEFAULT_MS_PER_MEGAPIXEL.get(kind, FALLBACK_MS_PER_MEGAPIXEL)
    return statistics.median(speeds)


def result_estimate_ms(*, model_name: str, output_pixels: int) -> int:
    """How long the inference of `output_pixels` should take, in milliseconds."""
    model = engine_provider.get_model(model_name)
    speed = model_ms_per_megapixel(model_name=model_name, kind=model.kind if model else "")
    return round(speed * output_pixels / 1e6)


def upload_model_options() -> list[dict]:
    """What the upload page needs to know of each model to offer scales and estimate times."""
    return [
        {
            "name": m.name,
            "label": m.label,
            "title": model_title(label=m.label, model_name=m.name),
            "description": m.description,
            "kind": m.kind,
            "scales": list(m.scales),
            "ms_per_megapixel": model_ms_per_megapixel(model_name=m.name, kind=m.kind),
        }
        for m in engine_provider.list_models()
    ]


def upload_automatic_defaults() -> dict[int, str]:
    """The clean model of each scale the automatic choice can serve (the default model, when it
    offers that scale): the scales the upload page offers with "Automatic" selected."""
    defaults = {}
    for scale in SUPPORTED_SCALES:
        name = engine_provider.default_model_name(scale)
        model = engine_provider.get_model(name)
        if model is not None and scale in model.scales:
            defaults[scale] = name
    return defaults
