"""Read-mostly admin for inspecting submissions and results."""

from django.contrib import admin

from .models import Result, Submission


class ResultInline(admin.TabularInline):
    model = Result
    extra = 0
    can_delete = False
    fields = ("model_name", "scale", "status", "progress", "error", "output", "finished_at")
    readonly_fields = fields


@admin.register(Submission)
class SubmissionAdmin(admin.ModelAdmin):
    list_display = ("id", "created", "width", "height", "format", "owner", "size_bytes")
    list_filter = ("format",)
    search_fields = ("id", "sha256")
    readonly_fields = [f.name for f in Submission._meta.fields]
    inlines = [ResultInline]


@admin.register(Result)
class ResultAdmin(admin.ModelAdmin):
    list_display = ("id", "submission", "model_name", "scale", "status", "progress", "queued_at")
    list_filter = ("status", "model_name", "scale")
    readonly_fields = [f.name for f in Result._meta.fields]
