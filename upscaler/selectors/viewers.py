"""Who is asking: the viewer of a request as the visibility selectors take it, and the owner of
what the request creates as the services take it (the one place where an anonymous user becomes
"no owner")."""

from __future__ import annotations


def request_viewer(request, *, start_session: bool = False) -> dict:
    """`{"user", "session_key"}` of a request (Django's or DRF's): the keyword arguments of every
    visibility selector. An anonymous visitor is known by their session's key; one without a
    session yet is nobody and sees nothing.

    `start_session` gives such a visitor a session now, so that what they create can be theirs.
    The upload form asks for it only when it creates something; the API asks on every request,
    because anonymous API use (when UPSCALER_API_ALLOW_ANONYMOUS allows it) is tied to the session
    cookie its first answer sets. Saving a session is the only write here, and it is the session
    framework's, not ours.
    """
    # Load the session before reading its key: Django drops a key it never issued (or one that
    # expired) only when it loads the session, so a key read first would trust a planted cookie
    # (session fixation: whoever planted it would see and cancel the visitor's uploads).
    request.session.keys()
    if start_session and not request.user.is_authenticated and not request.session.session_key:
        request.session.save()  # a new key, issued by the server
    return {"user": request.user, "session_key": request.session.session_key}


def request_owner(request) -> dict:
    """`{"owner", "session_key"}` of what a request creates: the services' keyword arguments.
    `owner` is the signed-in user, or None for an anonymous visitor, whose (started) session key
    then owns it. Services take a user or None and never look at `is_authenticated` again."""
    viewer = request_viewer(request, start_session=True)
    user = viewer["user"]
    return {"owner": user if user.is_authenticated else None, "session_key": viewer["session_key"]}
