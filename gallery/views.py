"""Gallery views: the public gallery (reviewed items, paged), one item's comparison page, and
the viewer's own submissions."""

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from gallery.selectors import gallery_item_get, gallery_items
from upscaler import selectors

# A grid of 4, 3 or 2 columns fills evenly with 12 items.
PAGE_SIZE = 12
# "My images" lists the most recent ones only.
RECENT_LIMIT = 50


def index(request: HttpRequest) -> HttpResponse:
    page = Paginator(gallery_items(), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "gallery/index.html", {"page": page, "items": page.object_list})


def detail(request: HttpRequest, submission_id) -> HttpResponse:
    submission = gallery_item_get(submission_id=submission_id)
    if submission is None:
        raise Http404("No such gallery item")
    return render(
        request, "gallery/detail.html", {"submission": submission, "result": submission.gallery_results[0]}
    )


def mine(request: HttpRequest) -> HttpResponse:
    submissions = selectors.submission_list_visible(
        **selectors.request_viewer(request)
    ).prefetch_related("results")[:RECENT_LIMIT]
    return render(request, "gallery/mine.html", {"submissions": submissions})
