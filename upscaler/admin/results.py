"""Results in the admin: read-only, with the before/after comparison and metrics."""

from __future__ import annotations

from django.contrib import admin

from upscaler.admin import display
from upscaler.admin.read_only import NoSaveButtonsMixin
from upscaler.models import Result


@admin.register(Result)
class ResultAdmin(NoSaveButtonsMixin, admin.ModelAdmin):
    list_display = ("output_thumbnail", "id", "submission", "model_name", "scale", "status", "progress",
                    "timings", "queued_at")
    list_display_links = ("output_thumbnail", "id")
    list_filter = ("status", "model_name", "scale", "queued_at")
    search_fields = ("id", "submission__id", "error")
    date_hierarchy = "queued_at"
    list_select_related = ("submission",)
    ordering = ("-queued_at",)
    fieldsets = (
        (None, {"fields": ("comparison", "submission", "model_name", "scale", "status", "progress")}),
        ("Details", {"fields": ("output", "output_width", "output_height", "queued_at", "started_at",
                                "finished_at", "inference_ms", "tiles_done", "tiles_total", "attempts",
                                "claimed_until", "error")}),
    )

    def get_readonly_fields(self, request, obj=None):
        return [name for fieldset in self.fieldsets for name in fieldset[1]["fields"]]

    def has_add_permission(self, request):
        return False  # results are created by uploads and re-runs

    def has_delete_permission(self, request, obj=None):
        return False  # deleting goes through the submission, which removes the files too

    @admin.display(description="output")
    def output_thumbnail(self, obj):
        return display.result_thumbnail(obj)

    @admin.display(description="timings")
    def timings(self, obj):
        return display.timings(obj)

    @admin.display(description="before / after")
    def comparison(self, obj):
        return display.comparison(obj)
