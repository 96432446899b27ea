"""Models as people see them: the label (engine ModelInfo.label, the one definition), the title
"Faithful (srresnet)" that pages show, and an automatic choice's reason in those words."""

from __future__ import annotations

from upscaler.integrations import engine_provider


def model_label(*, model_name: str) -> str:
    """The model's label, or its name when this server no longer has it (old results)."""
    model = engine_provider.get_model(model_name)
    return model.label if model is not None else model_name


def model_title(*, label: str, model_name: str) -> str:
    """The label with the technical name beside it, "Faithful (srresnet)", unless the label already
    says the name ("Bicubic (baseline)", a third-party model shown by its name)."""
    return label if model_name.lower() in label.lower() else f"{label} ({model_name})"


def model_title_of(*, model_name: str) -> str:
    return model_title(label=model_label(model_name=model_name), model_name=model_name)


def model_choice_text(*, reason: str, model_name: str) -> str:
    """An automatic choice's reason ("PNG, clean: srresnet", as stored and in the API) with the
    model by its title: "PNG, clean: Faithful (srresnet)". Reasons are "<what the file is>:
    <model>[ <note>]" (engine provenance.choose_model, services/model_choice.py); any other
    text is returned as it is."""
    summary, colon, rest = reason.partition(": ")
    if not colon or not rest.startswith(model_name):
        return reason
    return f"{summary}: {model_title_of(model_name=model_name)}{rest[len(model_name):]}"
