"""The automatic choice of a model when a request names none: the engine's rule
(provenance.choose_model) applied to the upload itself, with this server's models. The clean
model is the default for the scale (engine_provider.default_model_name); the photo model is the
one named registry.PHOTO, when it offers the scale."""

from __future__ import annotations

from upscaler.engine.provenance import ModelChoice, Provenance, choose_model, read_provenance
from upscaler.engine.registry import photo_model_name
from upscaler.integrations import engine_provider

#: The reason's own "summary" for benchmark mode: the service shrank the photo with bicubic
#: itself, so the input is clean by construction, and the clean model is the one being measured.
BENCHMARK_SUMMARY = "Benchmark (shrunk with bicubic)"
#: Model.model_choice_reason's length; a reason is far shorter (a summary and a model name).
REASON_MAX_LENGTH = 200


def upload_provenance(upload) -> Provenance:
    """What the file has been through, read from an upload the engine's reader has accepted
    (read whole, as the reader did, then rewound for storing)."""
    upload.seek(0)
    data = upload.read()
    upload.seek(0)
    return read_provenance(data)


def model_choose(*, provenance: Provenance, scale: int) -> ModelChoice:
    """The model for a file of this provenance at `scale`, and why ("JPEG, quality ≈ 72: photo";
    without a photo model at that scale, the clean one, and the reason says so)."""
    photo = photo_model_name(engine_provider.list_models(), scale)
    choice = choose_model(provenance, clean=engine_provider.default_model_name(scale), photo=photo)
    return ModelChoice(choice.name, choice.reason[:REASON_MAX_LENGTH])


def model_choose_for_upload(*, upload, scale: int) -> ModelChoice:
    return model_choose(provenance=upload_provenance(upload), scale=scale)


def model_choose_for_benchmark(*, scale: int) -> ModelChoice:
    """Benchmark mode makes its own input (a bicubic shrink): the clean model, always."""
    name = engine_provider.default_model_name(scale)
    return ModelChoice(name, f"{BENCHMARK_SUMMARY}: {name}")


def model_choose_for_stored(*, submission, scale: int) -> ModelChoice:
    """The choice for another result of a stored submission (a re-run naming no model)."""
    if submission.kind == submission.Kind.BENCHMARK:
        return model_choose_for_benchmark(scale=scale)
    with submission.original.open("rb") as original:
        return model_choose(provenance=read_provenance(original.read()), scale=scale)
