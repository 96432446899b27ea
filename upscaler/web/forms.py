"""The upload form and the inspect form its script sends: input shape only; the service decides
whether the image is acceptable, and which model it gets when the visitor names none."""

from django import forms

from upscaler import selectors
from upscaler.engine.config import INPUT_FORMATS, SUPPORTED_SCALES, format_display_name, input_formats_text
from upscaler.integrations import engine_provider

MODES = (
    ("upscale", "Upscale my image"),
    ("benchmark", "Benchmark: my image is a sharp, high-resolution photo"),
)

# The formats the page offers are exactly those the engine's reader decodes, with their file name
# extensions: the page's script checks a file by its name when the browser gives it no type
# (TIFF, a drag from some applications). The help text and the script's list both come from here.
UPLOAD_FORMATS = {format_display_name(name): extensions for name, extensions in INPUT_FORMATS.items()}


def upload_formats_text() -> str:
    """How the page names the formats it accepts: "PNG, JPEG, WebP, TIFF, BMP or GIF"."""
    return input_formats_text()


def upload_extensions() -> list[str]:
    return [ext for extensions in UPLOAD_FORMATS.values() for ext in extensions]


#: The model select's first option, the default: the service chooses from the file itself.
AUTOMATIC = ""
AUTOMATIC_LABEL = "Automatic (from the file)"
AUTOMATIC_HELP = (
    "Chosen when you pick the file: JPEGs and noisy images get the photo model where this server "
    "has one for the scale, clean images the faithful default."
)


def model_choices() -> list[tuple[str, str]]:
    """Automatic first, then every model by its title: "Faithful (srresnet)"."""
    return [(AUTOMATIC, AUTOMATIC_LABEL)] + [
        (m.name, selectors.model_title(label=m.label, model_name=m.name)) for m in engine_provider.list_models()
    ]


class UploadForm(forms.Form):
    image = forms.FileField(
        label="Image",
        help_text=upload_formats_text(),
        widget=forms.ClearableFileInput(attrs={"accept": "image/*"}),
    )
    mode = forms.ChoiceField(label="Mode", choices=MODES, initial="upscale", required=False,
                             widget=forms.RadioSelect)
    model = forms.ChoiceField(label="Model", required=False, initial=AUTOMATIC)
    # Every scale is listed; the page hides those the chosen model lacks and the service checks.
    scale = forms.TypedChoiceField(
        label="Scale", choices=[(s, f"×{s}") for s in SUPPORTED_SCALES], coerce=int, initial=4,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["model"].choices = model_choices()

    def clean_model(self) -> str | None:
        """The model named, or None: the service chooses from the file."""
        return self.cleaned_data.get("model") or None

    def clean_mode(self) -> str:
        return self.cleaned_data.get("mode") or "upscale"

    def add_service_error(self, error) -> None:
        """Show a service's ValidationError on the fields it names; an error that names none, or
        a field this form does not have (the output format, a callback), is about the image."""
        errors = error.error_dict if hasattr(error, "error_dict") else {"image": error.error_list}
        for field, field_errors in errors.items():
            self.add_error(field if field in self.fields else "image", field_errors)


class InspectForm(forms.Form):
    """What the upload page's script sends to learn the automatic choice before uploading."""

    image = forms.FileField()
    scale = forms.TypedChoiceField(choices=[(s, s) for s in SUPPORTED_SCALES], coerce=int)
