"""Gallery views: the public gallery (reviewed items) and the viewer's own submissions."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from gallery.selectors import gallery_items
from upscaler import selectors

# The minimal pages list this many items (the gallery issue adds paging).
RECENT_LIMIT = 50


def index(request: HttpRequest) -> HttpResponse:
    return render(request, "gallery/index.html", {"items": gallery_items()[:RECENT_LIMIT]})


def mine(request: HttpRequest) -> HttpResponse:
    submissions = selectors.submission_list_visible(
        user=request.user, session_key=request.session.session_key
    ).prefetch_related("results")[:RECENT_LIMIT]
    return render(request, "gallery/mine.html", {"submissions": submissions})
