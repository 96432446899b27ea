"""Demo content: a few published comparisons made from openly licensed photos, through the real
upload and job path. Idempotent: photos already in the gallery are left as they are."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction

from upscaler.integrations import engine_provider
from upscaler.models import Result, Submission
from upscaler.services import reviews
from upscaler.services.benchmarks import benchmark_create
from upscaler.services.deletion import submissions_delete
from upscaler.services.submissions import submission_create

logger = logging.getLogger(__name__)

DEMO_USERNAME = "srsite-demo"
KEY_PREFIX = "loaddemo:"


@dataclass(frozen=True)
class DemoPhoto:
    key: str
    filename: str  # inside scikit-image's data folder (the wheel ships these files)
    title: str
    credit: str
    licence: str
    source_url: str
    scale: int
    benchmark: bool = False
    featured: bool = False


# Licences as stated in the docstrings of skimage/data/_fetchers.py.
PHOTOS = (
    DemoPhoto("astronaut", "astronaut.png", "Eileen Collins, astronaut",
              "NASA, from the NASA Great Images database (via scikit-image's sample data)",
              "Public domain: no known copyright restrictions", "https://flic.kr/p/r9qvLn", 4, featured=True),
    DemoPhoto("chelsea", "chelsea.png", "Chelsea the cat (benchmark)",
              "Stefan van der Walt (via scikit-image's sample data)",
              "CC0: no copyright restrictions", "https://scikit-image.org/docs/stable/api/skimage.data.html",
              2, benchmark=True),
    DemoPhoto("coffee", "coffee.png", "A cup of coffee",
              "Rachel Michetti (via scikit-image's sample data)",
              "CC0: no copyright restrictions", "https://scikit-image.org/docs/stable/api/skimage.data.html", 4),
    DemoPhoto("rocket", "rocket.jpg", "DSCOVR lifting off on a Falcon 9",
              "SpaceX (via scikit-image's sample data)", "Public domain, released by SpaceX",
              "https://www.flickr.com/photos/spacexphotos/16511594820/", 2),
)


def demo_photo_path(photo: DemoPhoto) -> Path:
    spec = find_spec("skimage")  # locate the files without importing scikit-image
    if spec is None or spec.origin is None:
        raise RuntimeError("scikit-image is not installed (it is in requirements.txt)")
    return Path(spec.origin).parent / "data" / photo.filename


def _demo_owner():
    user, created = get_user_model().objects.get_or_create(
        username=DEMO_USERNAME, defaults={"is_active": False, "first_name": "Demo content"}
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


def _model_for(scale: int, model_name: str | None) -> str:
    name = model_name or engine_provider.default_model_name(scale)
    model = engine_provider.get_model(name)
    return name if model is not None and scale in model.scales else "bicubic"


def demo_load(*, model_name: str | None = None, photos=PHOTOS) -> list[tuple[Submission, bool]]:
    """Create (and publish) each demo photo that is not in the gallery yet; returns each
    submission with whether it was created now. Jobs run with the configured runner: the
    loaddemo command runs them inline, so they are done when this returns."""
    owner = _demo_owner()
    done = []
    for photo in photos:
        key = KEY_PREFIX + photo.key
        existing = Submission.objects.filter(owner=owner, idempotency_key=key).first()
        if existing is not None and existing.results.filter(status=Result.Status.SUCCEEDED).exists():
            _publish(existing, photo, owner)
            done.append((existing, False))
            continue
        if existing is not None:
            # A failed or interrupted earlier run: start this photo again.
            submissions_delete(submission_ids=[existing.pk])
        submission = _create(photo, owner, _model_for(photo.scale, model_name), key)
        result = submission.results.get()
        if result.status != Result.Status.SUCCEEDED:
            logger.warning("demo %s: the job ended %s (%s)", photo.key, result.status, result.error)
        else:
            _publish(submission, photo, owner)
        done.append((submission, True))
    return done


def _create(photo: DemoPhoto, owner, model_name: str, key: str) -> Submission:
    path = demo_photo_path(photo)
    upload = SimpleUploadedFile(path.name, path.read_bytes())
    create = benchmark_create if photo.benchmark else submission_create
    with transaction.atomic():
        submission = create(
            owner=owner, session_key=None, upload=upload, scale=photo.scale, model_name=model_name,
            idempotency_key=key,
            credit={"title": photo.title, "credit": photo.credit, "licence": photo.licence,
                    "source_url": photo.source_url},
        )
    submission.refresh_from_db()
    return submission


def _publish(submission: Submission, photo: DemoPhoto, owner) -> None:
    publish = reviews.submission_feature if photo.featured else reviews.submission_approve
    wanted = Submission.ReviewState.FEATURED if photo.featured else Submission.ReviewState.APPROVED
    if submission.review_state != wanted:
        publish(submission_ids=[submission.pk], reviewer=None)
        submission.refresh_from_db()
