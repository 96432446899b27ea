"""The upload form: input shape only; the service decides whether the image is acceptable."""

from django import forms

from upscaler.engine.config import SUPPORTED_SCALES
from upscaler.integrations import engine_provider

MODES = (
    ("upscale", "Upscale my image"),
    ("benchmark", "Benchmark: my image is a sharp, high-resolution photo"),
)


class UploadForm(forms.Form):
    image = forms.FileField(
        label="Image",
        help_text="PNG, JPEG, WebP, TIFF, BMP or GIF",
        widget=forms.ClearableFileInput(attrs={"accept": "image/*"}),
    )
    mode = forms.ChoiceField(label="Mode", choices=MODES, initial="upscale", required=False,
                             widget=forms.RadioSelect)
    model = forms.ChoiceField(label="Model")
    # Every scale is listed; the page hides those the chosen model lacks and the service checks.
    scale = forms.TypedChoiceField(
        label="Scale", choices=[(s, f"×{s}") for s in SUPPORTED_SCALES], coerce=int, initial=4,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        models = engine_provider.list_models()
        self.fields["model"].choices = [(m.name, m.name) for m in models]
        if models:
            # Preselect our trained model when there is one: bicubic is only the baseline.
            self.fields["model"].initial = engine_provider.default_model_name(4)

    def clean_mode(self) -> str:
        return self.cleaned_data.get("mode") or "upscale"
