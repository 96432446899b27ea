"""Account pages (thin): sign-in (Django's view, keeping a guest's uploads), and a signed-in
user's API tokens — create (the key is shown once), revoke."""

from __future__ import annotations

from django import forms
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from upscaler import selectors
from upscaler.services.submissions import submissions_adopt
from upscaler.services.tokens import api_token_create, api_token_revoke
from upscaler.services.webhooks import webhook_secret


class SignInView(auth_views.LoginView):
    """Django's sign-in, which gives the session a new key (against fixation): what the visitor
    uploaded under the old key moves to their account first, or it would be orphaned."""

    def form_valid(self, form):
        self.request.session.keys()  # loaded first: a key the server never issued is dropped
        guest_key = self.request.session.session_key
        response = super().form_valid(form)
        submissions_adopt(user=form.get_user(), session_key=guest_key)
        return response


class TokenForm(forms.Form):
    name = forms.CharField(label="Name", max_length=100, help_text="e.g. the script or machine using it")


@login_required
@require_http_methods(["GET", "POST"])
def api_tokens(request: HttpRequest) -> HttpResponse:
    new_key = None
    status = 200
    form = TokenForm()
    if request.method == "POST":
        form = TokenForm(request.POST)
        if form.is_valid():
            try:
                _token, new_key = api_token_create(user=request.user, name=form.cleaned_data["name"])
            except ValidationError as exc:
                form.add_error(None, exc)  # the service names the field
            else:
                form = TokenForm()
                status = 201
        if new_key is None:
            status = 400
    context = {
        "form": form,
        "tokens": selectors.api_token_list(user=request.user),
        "new_key": new_key,
        "webhook_secret": webhook_secret(user=request.user),
    }
    response = render(request, "upscaler/api_tokens.html", context, status=status)
    response["Cache-Control"] = "no-store"  # the page may show a key once
    return response


@login_required
@require_POST
def api_token_revoke_view(request: HttpRequest, token_id: int) -> HttpResponse:
    if not api_token_revoke(user=request.user, token_id=token_id):
        raise Http404("No such token")
    return redirect("api-tokens")
