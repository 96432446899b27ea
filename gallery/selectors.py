"""Gallery reads: the public items (approved or featured, with a succeeded result)."""

from __future__ import annotations

from django.db.models import Case, IntegerField, Prefetch, QuerySet, Value, When

from upscaler import selectors
from upscaler.models import Result, Submission


def gallery_items() -> QuerySet[Submission]:
    """Public submissions, featured first, then newest; each has `gallery_results`, its
    succeeded results (newest first)."""
    succeeded = Result.objects.filter(status=Result.Status.SUCCEEDED).order_by("-finished_at", "-queued_at")
    featured_first = Case(
        When(review_state=Submission.ReviewState.FEATURED, then=Value(0)),
        default=Value(1),
        output_field=IntegerField(),
    )
    return (
        selectors.submission_list_public()
        .order_by(featured_first, "-created", "-pk")
        .prefetch_related(Prefetch("results", queryset=succeeded, to_attr="gallery_results"))
    )


def gallery_item_get(*, submission_id) -> Submission | None:
    """One public item (with `gallery_results`), or None if it is not (or no longer) public."""
    return gallery_items().filter(pk=submission_id).first()
