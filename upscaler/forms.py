"""The upload form: input shape only; the service decides whether the image is acceptable."""

from django import forms

from upscaler import engine_provider

SCALES = (2, 3, 4, 8)


class UploadForm(forms.Form):
    image = forms.FileField(
        label="Image",
        help_text="PNG, JPEG, WebP…",
        widget=forms.ClearableFileInput(attrs={"accept": "image/*"}),
    )
    scale = forms.TypedChoiceField(
        label="Scale", choices=[(s, f"×{s}") for s in SCALES], coerce=int, initial=4
    )
    model = forms.ChoiceField(label="Model")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        models = engine_provider.list_models()
        self.fields["model"].choices = [
            (m.name, f"{m.name} — {m.description}" if m.description else m.name) for m in models
        ]
        if models:
            self.fields["model"].initial = models[0].name
