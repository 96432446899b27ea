"""manage.py loaddemo: fill the gallery with a few comparisons of openly licensed photos."""

from django.core.management.base import BaseCommand
from django.test.utils import override_settings

from gallery.demo import demo_load


class Command(BaseCommand):
    help = (
        "Upscale a few public-domain/CC0 photos from scikit-image's sample data and publish them in "
        "the gallery. Runs the jobs here (inline); photos already loaded are skipped."
    )

    def add_arguments(self, parser):
        parser.add_argument("--model", help="model to use (default: the best one offering each scale)")

    def handle(self, *args, model=None, **options):
        # Inline: the jobs finish in this process, whatever runner the site uses.
        with override_settings(UPSCALER_JOB_BACKEND="upscaler.jobs.backends.inline.InlineBackend"):
            loaded = demo_load(model_name=model)
        for submission, created in loaded:
            result = submission.results.order_by("-queued_at").first()
            state = "created" if created else "already there"
            self.stdout.write(
                f"{submission.title}: {state}, {result.model_name} ×{result.scale} {result.status}"
            )
