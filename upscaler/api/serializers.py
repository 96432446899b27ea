"""Output shapes shared by several API views (a submission with its results; an engine model).

Views nest their own InputSerializer; the submission representation is the same wherever a
submission is returned, so it is defined once here.
"""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from upscaler import notifications, selectors
from upscaler.models import Result

# A submission's overall status: the most active state among its results wins.
STATUS_ORDER = (Result.Status.RUNNING, Result.Status.QUEUED)


def aggregate_status(results: list[Result]) -> str:
    """One status for a submission from its results' (the API's `status` of a submission; the
    page's polling answer is selectors.submission_status_payload)."""
    statuses = {r.status for r in results}
    for status in STATUS_ORDER:
        if status in statuses:
            return status
    return results[-1].status if results else Result.Status.QUEUED


class FileOutputSerializer(serializers.Serializer):
    url = serializers.URLField()
    width = serializers.IntegerField()
    height = serializers.IntegerField()
    content_type = serializers.CharField()


class ImageOutputSerializer(serializers.Serializer):
    url = serializers.URLField()
    width = serializers.IntegerField()
    height = serializers.IntegerField()
    format = serializers.CharField()
    size_bytes = serializers.IntegerField()
    sha256 = serializers.CharField()


class LinksSerializer(serializers.Serializer):
    self = serializers.URLField()
    websocket = serializers.CharField()
    cancel = serializers.URLField()
    results = serializers.URLField()


class ModelChoiceSerializer(serializers.Serializer):
    automatic = serializers.BooleanField(help_text="true when the request named no model and the service chose it")
    reason = serializers.CharField(help_text='why, e.g. "JPEG, quality ≈ 72: photo"; "" when the model was named')


class ResultOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    model = serializers.CharField(source="model_name")
    model_label = serializers.SerializerMethodField(help_text='the model for people, e.g. "Faithful"')
    model_choice = serializers.SerializerMethodField()
    scale = serializers.IntegerField()
    format = serializers.CharField(source="output_format")
    status = serializers.ChoiceField(choices=Result.Status.choices)
    progress = serializers.IntegerField(help_text="0–100")
    tiles_done = serializers.IntegerField()
    tiles_total = serializers.IntegerField()
    error = serializers.CharField()
    queue_position = serializers.SerializerMethodField(
        help_text="1 = next to start; null unless queued"
    )
    output = serializers.SerializerMethodField()
    queued_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
    inference_ms = serializers.IntegerField(allow_null=True)

    def get_queue_position(self, result) -> int | None:
        return self.context.get("queue_positions", {}).get(result.id)

    def get_model_label(self, result) -> str:
        return selectors.model_label(model_name=result.model_name)

    @extend_schema_field(ModelChoiceSerializer)
    def get_model_choice(self, result):
        return {"automatic": result.model_chosen_automatically, "reason": result.model_choice_reason}

    @extend_schema_field(FileOutputSerializer(allow_null=True))
    def get_output(self, result):
        if result.status != Result.Status.SUCCEEDED:
            return None
        request = self.context["request"]
        return {
            "url": request.build_absolute_uri(reverse("api:result-output", args=[result.id])),
            "width": result.output_width,
            "height": result.output_height,
            "content_type": Result.OutputFormat(result.output_format).content_type,
        }


class SubmissionOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    status = serializers.SerializerMethodField(help_text="running or queued while any result is; "
                                               "else the latest result's status")
    progress = serializers.SerializerMethodField(help_text="of the latest result, 0–100")
    queue_position = serializers.SerializerMethodField(help_text="best position among queued results")
    created = serializers.DateTimeField()
    image = serializers.SerializerMethodField()
    results = serializers.SerializerMethodField()
    links = serializers.SerializerMethodField()

    def _results(self, submission) -> list[Result]:
        return list(submission.results.all())

    @extend_schema_field(serializers.ChoiceField(choices=Result.Status.choices))
    def get_status(self, submission) -> str:
        return aggregate_status(self._results(submission))

    def get_progress(self, submission) -> int:
        results = self._results(submission)
        return results[-1].progress if results else 0

    def get_queue_position(self, submission) -> int | None:
        positions = self.context.get("queue_positions", {})
        found = [positions[r.id] for r in self._results(submission) if r.id in positions]
        return min(found) if found else None

    @extend_schema_field(ImageOutputSerializer)
    def get_image(self, submission):
        request = self.context["request"]
        return {
            "url": request.build_absolute_uri(
                reverse("api:submission-original", args=[submission.id])
            ),
            "width": submission.width,
            "height": submission.height,
            "format": submission.format,
            "size_bytes": submission.size_bytes,
            "sha256": submission.sha256,
        }

    @extend_schema_field(ResultOutputSerializer(many=True))
    def get_results(self, submission):
        return ResultOutputSerializer(self._results(submission), many=True, context=self.context).data

    @extend_schema_field(LinksSerializer)
    def get_links(self, submission):
        request = self.context["request"]

        def url(name):
            return request.build_absolute_uri(reverse(name, args=[submission.id]))

        return {
            "self": url("api:submission-detail"),
            "websocket": notifications.websocket_url(
                secure=request.is_secure(), host=request.get_host(), submission_id=submission.id
            ),
            "cancel": url("api:submission-cancel"),
            "results": url("api:submission-results"),
        }


class SubmissionPageSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = SubmissionOutputSerializer(many=True)
