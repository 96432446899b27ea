"""Forms of the admin's intermediate action pages (input shape only; services decide)."""

from django import forms

from upscaler.engine.config import SUPPORTED_SCALES
from upscaler.integrations import engine_provider
from upscaler.services.reviews import REASON_MAX_LENGTH


class RejectForm(forms.Form):
    reason = forms.CharField(
        label="Reason",
        max_length=REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text="Kept with the submission; staff see it.",
    )


class RerunForm(forms.Form):
    model = forms.ChoiceField(label="Model")
    scale = forms.TypedChoiceField(label="Scale", coerce=int)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        models = engine_provider.list_models()
        self.fields["model"].choices = [
            (m.name, f"{m.name} (×{', ×'.join(map(str, m.scales))})") for m in models
        ]
        scales = sorted(set(SUPPORTED_SCALES).union(*(m.scales for m in models)))
        self.fields["scale"].choices = [(s, f"×{s}") for s in scales]


class ConfirmForm(forms.Form):
    """No fields: the page itself is the confirmation."""
