"""Gallery views: the viewer's own submissions (a minimal page until the gallery issue)."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from upscaler import selectors

# The minimal gallery lists this many recent submissions.
RECENT_LIMIT = 50


def index(request: HttpRequest) -> HttpResponse:
    submissions = selectors.submission_list_visible(
        user=request.user, session_key=request.session.session_key
    ).prefetch_related("results")[:RECENT_LIMIT]
    return render(request, "gallery/index.html", {"submissions": submissions})
