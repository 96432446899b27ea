"""Change pages that only show: every field is read-only, and changes go through actions."""

from __future__ import annotations


class NoSaveButtonsMixin:
    """Hide Save / Save and continue / Save and add another: on a page where nothing can be
    edited they would only suggest that something can (deleting stays where it is allowed)."""

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "show_save": False,
            "show_save_and_continue": False,
            "show_save_and_add_another": False,
        }
        return super().change_view(request, object_id, form_url, extra_context)
