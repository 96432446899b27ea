"""The review queue: submissions newest pending first, with thumbnails and bulk review actions.

Actions are thin: they read the selection and a form, then call services/reviews.py (deleting:
services/deletion.py).
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import ValidationError
from django.db.models import Case, IntegerField, Prefetch, Value, When
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html_join

from upscaler.admin import display
from upscaler.admin.forms import ConfirmForm, RejectForm, RerunForm
from upscaler.admin.read_only import NoSaveButtonsMixin
from upscaler.models import Result, Submission
from upscaler.services import reviews
from upscaler.services.deletion import submissions_delete

ACTION_TEMPLATE = "admin/upscaler/submission/action_form.html"

PENDING_FIRST = Case(
    When(review_state=Submission.ReviewState.PENDING, then=Value(0)),
    default=Value(1),
    output_field=IntegerField(),
)


class ResultStatusFilter(admin.SimpleListFilter):
    title = "result status"
    parameter_name = "result_status"

    def lookups(self, request, model_admin):
        return Result.Status.choices

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(results__status=self.value()).distinct()
        return queryset


class ResultModelFilter(admin.SimpleListFilter):
    title = "model"
    parameter_name = "model"

    def lookups(self, request, model_admin):
        names = Result.objects.order_by("model_name").values_list("model_name", flat=True).distinct()
        return [(name, name) for name in names]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(results__model_name=self.value()).distinct()
        return queryset


class ResultInline(admin.TabularInline):
    model = Result
    extra = 0
    can_delete = False
    show_change_link = True
    fields = ("output_thumbnail", "model_name", "scale", "status", "progress", "output_size", "timings", "error")
    readonly_fields = fields
    ordering = ("queued_at",)

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description="output")
    def output_thumbnail(self, result):
        return display.result_thumbnail(result)

    @admin.display(description="output size")
    def output_size(self, result):
        return f"{result.output_width}×{result.output_height}" if result.output_width else "—"

    @admin.display(description="timings")
    def timings(self, result):
        return display.timings(result)


@admin.register(Submission)
class SubmissionAdmin(NoSaveButtonsMixin, admin.ModelAdmin):
    list_display = (
        "input_thumbnail",
        "output_thumbnail",
        "short_id",
        "created",
        "owner_display",
        "size",
        "model",
        "scale",
        "status",
        "timings",
        "review_state",
    )
    list_display_links = ("input_thumbnail", "short_id")
    list_filter = ("review_state", ResultStatusFilter, ResultModelFilter, "created")
    date_hierarchy = "created"
    search_fields = ("id", "sha256", "owner__username", "owner__email", "rejection_reason")
    ordering = (PENDING_FIRST.asc(), "-created")
    list_per_page = 50
    inlines = [ResultInline]
    actions = ["approve", "reject", "feature", "unfeature", "rerun", "delete_with_files"]
    fieldsets = (
        (None, {"fields": ("input_preview", "id", "owner_display", "size", "format", "size_bytes", "sha256",
                           "original", "created")}),
        ("Review", {"fields": ("review_state", "reviewed_by", "reviewed_at", "rejection_reason")}),
        ("Results: before / after", {"fields": ("comparisons",)}),
    )

    def get_readonly_fields(self, request, obj=None):
        # Nothing is edited here: the review state changes only through the actions.
        return [name for fieldset in self.fieldsets for name in fieldset[1]["fields"]]

    def get_queryset(self, request):
        results = Result.objects.order_by("queued_at", "id")
        return (
            super()
            .get_queryset(request)
            .select_related("owner", "reviewed_by")
            .prefetch_related(Prefetch("results", queryset=results, to_attr="ordered_results"))
        )

    def has_add_permission(self, request):
        return False  # submissions come from uploads

    def has_review_permission(self, request):
        return request.user.has_perm("upscaler.review_submission")

    def get_actions(self, request):
        actions = super().get_actions(request)
        # The stock bulk delete would leave the files behind; delete_with_files replaces it.
        actions.pop("delete_selected", None)
        return actions

    def delete_model(self, request, obj):
        submissions_delete(submission_ids=[obj.pk])

    def delete_queryset(self, request, queryset):
        submissions_delete(submission_ids=queryset.values_list("pk", flat=True))

    # --- columns ---------------------------------------------------------------------------

    @staticmethod
    def _results(submission) -> list[Result]:
        results = getattr(submission, "ordered_results", None)
        if results is None:
            results = list(submission.results.order_by("queued_at", "id"))
        return results

    def _latest(self, submission) -> Result | None:
        results = self._results(submission)
        return results[-1] if results else None

    def _latest_succeeded(self, submission) -> Result | None:
        succeeded = [r for r in self._results(submission) if r.status == Result.Status.SUCCEEDED]
        return succeeded[-1] if succeeded else None

    @admin.display(description="input")
    def input_thumbnail(self, obj):
        return display.submission_thumbnail(obj)

    @admin.display(description="preview")
    def input_preview(self, obj):
        return display.submission_thumbnail(obj)

    @admin.display(description="output")
    def output_thumbnail(self, obj):
        return display.result_thumbnail(self._latest_succeeded(obj))

    @admin.display(description="id", ordering="id")
    def short_id(self, obj):
        return str(obj.id)[:8]

    @admin.display(description="owner", ordering="owner__username")
    def owner_display(self, obj):
        return obj.owner.get_username() if obj.owner_id else "guest"

    @admin.display(description="size")
    def size(self, obj):
        return f"{obj.width}×{obj.height} · {obj.size_bytes / 1024:,.0f} KiB"

    @admin.display(description="model")
    def model(self, obj):
        latest = self._latest(obj)
        return latest.model_name if latest else "—"

    @admin.display(description="scale")
    def scale(self, obj):
        latest = self._latest(obj)
        return f"×{latest.scale}" if latest else "—"

    @admin.display(description="status")
    def status(self, obj):
        latest = self._latest(obj)
        return latest.get_status_display() if latest else "—"

    @admin.display(description="timings")
    def timings(self, obj):
        return display.timings(self._latest(obj))

    @admin.display(description="comparison and metrics")
    def comparisons(self, obj):
        results = self._results(obj)
        if not results:
            return "—"
        return format_html_join(
            "", "<h3>{} ×{} — {}</h3>{}",
            ((r.model_name, r.scale, r.get_status_display(), display.comparison(r)) for r in results),
        )

    # --- actions ---------------------------------------------------------------------------

    def _ids(self, queryset) -> list:
        return list(queryset.values_list("pk", flat=True))

    def _form_page(self, request, queryset, *, form, action: str, title: str, button: str, danger=False):
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "opts": self.model._meta,
            "form": form,
            "queryset": queryset,
            "action": action,
            "button": button,
            "danger": danger,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "changelist_url": reverse("admin:upscaler_submission_changelist"),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, ACTION_TEMPLATE, context)

    def _done(self, request, verb: str, count: int) -> None:
        self.message_user(request, f"{verb} {count} submission{'s' if count != 1 else ''}.", messages.SUCCESS)

    @admin.action(description="Approve selected submissions", permissions=["review"])
    def approve(self, request, queryset):
        self._done(request, "Approved", reviews.submission_approve(submission_ids=self._ids(queryset),
                                                                   reviewer=request.user))

    @admin.action(description="Reject selected submissions (with a reason)…", permissions=["review"])
    def reject(self, request, queryset):
        form = RejectForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            try:
                count = reviews.submission_reject(
                    submission_ids=self._ids(queryset), reviewer=request.user, reason=form.cleaned_data["reason"]
                )
            except ValidationError as exc:
                form.add_error(None, exc)  # the service names the field (reason)
            else:
                self._done(request, "Rejected", count)
                return None
        return self._form_page(request, queryset, form=form, action="reject", title="Reject submissions",
                               button="Reject")

    @admin.action(description="Feature selected submissions", permissions=["review"])
    def feature(self, request, queryset):
        self._done(request, "Featured", reviews.submission_feature(submission_ids=self._ids(queryset),
                                                                   reviewer=request.user))

    @admin.action(description="Unfeature selected submissions", permissions=["review"])
    def unfeature(self, request, queryset):
        self._done(request, "Unfeatured", reviews.submission_unfeature(submission_ids=self._ids(queryset),
                                                                       reviewer=request.user))

    @admin.action(description="Re-run selected submissions with another model or scale…", permissions=["review"])
    def rerun(self, request, queryset):
        form = RerunForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            try:
                results = reviews.submissions_rerun(
                    submission_ids=self._ids(queryset),
                    model_name=form.cleaned_data["model"],
                    scale=form.cleaned_data["scale"],
                )
            except ValidationError as exc:
                # Above the form: the refusal may be about one of the selected images, not a field.
                form.add_error(None, exc.messages)
            else:
                self.message_user(request, f"Queued {len(results)} new result(s).", messages.SUCCESS)
                return None
        return self._form_page(request, queryset, form=form, action="rerun", title="Re-run submissions",
                               button="Queue")

    @admin.action(description="Delete selected submissions and their files…", permissions=["delete"])
    def delete_with_files(self, request, queryset):
        if "apply" in request.POST:
            self._done(request, "Deleted", submissions_delete(submission_ids=self._ids(queryset)))
            return None
        return self._form_page(request, queryset, form=ConfirmForm(), action="delete_with_files",
                               title="Delete submissions, their results and files", button="Yes, delete",
                               danger=True)
