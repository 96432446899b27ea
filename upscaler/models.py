"""Submission (an uploaded original) and Result (one upscaling job of it) with DB constraints."""

import hashlib
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

# Names of the original files are generated, never taken from the client.
FORMAT_EXTENSIONS = {"JPEG": "jpg", "TIFF": "tif"}


def format_extension(image_format: str) -> str:
    ext = FORMAT_EXTENSIONS.get(image_format.upper(), image_format.lower())
    return "".join(ch for ch in ext if ch.isalnum())[:8] or "bin"


def original_upload_to(instance: "Submission", filename: str) -> str:
    created = instance.created
    return (
        f"uploads/{created:%Y}/{created:%m}/{instance.id}.{format_extension(instance.format)}"
    )


def ground_truth_upload_to(instance: "Submission", filename: str) -> str:
    created = instance.created
    return f"ground-truth/{created:%Y}/{created:%m}/{instance.id}.png"


def output_upload_to(instance: "Result", filename: str) -> str:
    queued = instance.queued_at
    return f"results/{queued:%Y}/{queued:%m}/{instance.id}.{format_extension(instance.output_format)}"


class ReviewState(models.TextChoices):
    PENDING = "pending", "Pending review"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    FEATURED = "featured", "Featured"


class SubmissionKind(models.TextChoices):
    UPSCALE = "upscale", "Upscale"
    # The upload is a high-resolution photo (the ground truth); `original` is it downsampled
    # by the scale, and results are scored against it (see services/benchmarks.py).
    BENCHMARK = "benchmark", "Benchmark"


class Submission(models.Model):
    ReviewState = ReviewState
    Kind = SubmissionKind
    # Review states shown in the public gallery (with a succeeded result).
    PUBLIC_REVIEW_STATES = frozenset({ReviewState.APPROVED, ReviewState.FEATURED})

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    original = models.FileField(upload_to=original_upload_to, max_length=255)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    format = models.CharField(max_length=16)
    sha256 = models.CharField(max_length=64, db_index=True)
    size_bytes = models.PositiveBigIntegerField()
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="submissions",
    )
    # Anonymous owners are identified by their browser session.
    session_key = models.CharField(max_length=40, blank=True, default="", db_index=True)
    created = models.DateTimeField()
    # Moderation: only approved/featured submissions reach the public gallery.
    review_state = models.CharField(
        max_length=16, choices=ReviewState.choices, default=ReviewState.PENDING
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reviewed_submissions",
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    rejection_reason = models.TextField(blank=True, default="")
    # API clients: a retried POST with the same key returns this submission (unique per owner).
    idempotency_key = models.CharField(max_length=255, blank=True, default="")
    # What that request asked for (image or URL, scale, model, format, callback), hashed: the
    # same key with a different request is refused rather than answered with this submission.
    idempotency_fingerprint = models.CharField(max_length=64, blank=True, default="")
    # Receives a signed webhook when every result of the submission is done.
    callback_url = models.URLField(max_length=2000, blank=True, default="")
    kind = models.CharField(max_length=16, choices=SubmissionKind.choices, default=SubmissionKind.UPSCALE)
    ground_truth = models.FileField(upload_to=ground_truth_upload_to, blank=True, max_length=255)
    # Where a published photo comes from (the demo content): shown on the gallery page.
    title = models.CharField(max_length=200, blank=True, default="")
    credit = models.CharField(max_length=300, blank=True, default="")
    licence = models.CharField(max_length=200, blank=True, default="")
    source_url = models.URLField(max_length=500, blank=True, default="")

    class Meta:
        ordering = ["-created"]
        permissions = [("review_submission", "Can review submissions (approve, reject, feature, re-run)")]
        # The review queue: "pending, newest first"; also serves the gallery's approved/featured.
        indexes = [models.Index(fields=["review_state", "-created"], name="submission_review_queue")]
        constraints = [
            models.CheckConstraint(
                condition=Q(review_state__in=ReviewState.values), name="submission_review_state_valid"
            ),
            models.CheckConstraint(
                condition=~Q(review_state=ReviewState.REJECTED) | ~Q(rejection_reason=""),
                name="submission_rejected_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(owner__isnull=False) | ~Q(session_key=""),
                name="submission_has_owner_or_session",
            ),
            models.CheckConstraint(
                condition=Q(width__gt=0) & Q(height__gt=0), name="submission_positive_size"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=SubmissionKind.values), name="submission_kind_valid"
            ),
            models.CheckConstraint(
                condition=~Q(kind=SubmissionKind.BENCHMARK) | ~Q(ground_truth=""),
                name="submission_benchmark_has_ground_truth",
            ),
            models.UniqueConstraint(
                fields=["owner", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="submission_idempotency_key_per_owner",
            ),
        ]

    def __str__(self) -> str:
        return f"Submission {self.id} ({self.width}x{self.height} {self.format})"


class ResultStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


class OutputFormat(models.TextChoices):
    """The formats a result is made and downloaded in: the one list (forms, API, downloads)."""

    PNG = "png", "PNG"
    WEBP = "webp", "WebP"
    JPEG = "jpeg", "JPEG"

    @property
    def content_type(self) -> str:
        # Each value is its IANA image subtype (image/png, image/webp, image/jpeg).
        return f"image/{self.value}"


class Result(models.Model):
    """One upscaling job of a submission (a model at a scale, in an output format) and, once it
    succeeded, its output. The row is the job itself, queued or running too: "result" is the name
    it had before it was understood that way, and renaming a table is not worth its migration."""

    Status = ResultStatus
    OutputFormat = OutputFormat
    TERMINAL = frozenset({ResultStatus.SUCCEEDED, ResultStatus.FAILED, ResultStatus.CANCELLED})

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="results")
    model_name = models.CharField(max_length=64)
    # Why the service chose `model_name` when the request named none ("JPEG, quality ≈ 72:
    # photo", from the engine's provenance.choose_model); empty when the user named the model.
    model_choice_reason = models.CharField(max_length=200, blank=True, default="")
    scale = models.PositiveSmallIntegerField()
    status = models.CharField(
        max_length=16, choices=ResultStatus.choices, default=ResultStatus.QUEUED
    )
    progress = models.PositiveSmallIntegerField(default=0)
    tiles_done = models.PositiveIntegerField(default=0)
    tiles_total = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True, default="")
    output_format = models.CharField(
        max_length=8, choices=OutputFormat.choices, default=OutputFormat.PNG
    )
    output = models.FileField(upload_to=output_upload_to, blank=True, max_length=255)
    output_width = models.PositiveIntegerField(null=True, blank=True)
    output_height = models.PositiveIntegerField(null=True, blank=True)
    queued_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    inference_ms = models.PositiveIntegerField(null=True, blank=True)
    # Benchmark submissions: luma PSNR (dB) and SSIM against the ground truth, of this result
    # and of the bicubic reference, measured by the job (services/benchmarks.py).
    psnr_y = models.FloatField(null=True, blank=True)
    ssim_y = models.FloatField(null=True, blank=True)
    bicubic_psnr_y = models.FloatField(null=True, blank=True)
    bicubic_ssim_y = models.FloatField(null=True, blank=True)
    # Idempotent claiming: each claim increments `attempts` (a fencing token for later
    # updates) and sets a lease; a `running` row with an expired lease was abandoned.
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_until = models.DateTimeField(null=True, blank=True)
    # When the reaper last sent a long-`queued` job again (its task may have died with the
    # broker); duplicates are harmless, since only one delivery can claim the row.
    redispatched_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["queued_at"]
        indexes = [models.Index(fields=["status", "claimed_until"], name="result_status_lease")]
        constraints = [
            models.CheckConstraint(
                condition=Q(progress__gte=0) & Q(progress__lte=100), name="result_progress_0_100"
            ),
            models.CheckConstraint(
                condition=Q(status__in=ResultStatus.values), name="result_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(scale__gte=1) & Q(scale__lte=16), name="result_scale_range"
            ),
            models.CheckConstraint(
                condition=Q(output_format__in=OutputFormat.values), name="result_output_format_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status="succeeded")
                | (~Q(output="") & Q(output_width__isnull=False) & Q(output_height__isnull=False)),
                name="result_succeeded_has_output",
            ),
        ]

    def __str__(self) -> str:
        return f"Result {self.id} ({self.model_name} x{self.scale}, {self.status})"

    @property
    def is_terminal(self) -> bool:
        return self.status in self.TERMINAL

    @property
    def model_chosen_automatically(self) -> bool:
        return bool(self.model_choice_reason)

    @property
    def target_size(self) -> tuple[int, int]:
        """The output's (width, height), known before the job ends: the input times the scale."""
        if self.output_width and self.output_height:
            return self.output_width, self.output_height
        return self.submission.width * self.scale, self.submission.height * self.scale


class ApiToken(models.Model):
    """A named API key of a user. Only a SHA-256 of the key is stored; the key is shown once."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100)
    # The first characters of the key, to tell tokens apart on the tokens page.
    prefix = models.CharField(max_length=16)
    key_hash = models.CharField(max_length=64, unique=True)
    created = models.DateTimeField()
    last_used = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created"]
        constraints = [
            models.UniqueConstraint(fields=["user", "name"], name="api_token_name_per_user"),
        ]

    def __str__(self) -> str:
        return f"API token {self.name!r} of {self.user_id} ({self.prefix}…)"

    @staticmethod
    def hash_key(key: str) -> str:
        # Keys are 32 random bytes: a fast hash is enough (no password hashing needed).
        return hashlib.sha256(key.encode()).hexdigest()
