"""URLs of account pages: sign in/out (Django's auth views) and API tokens."""

from django.contrib.auth import views as auth_views
from django.urls import path

from upscaler.web import account_views

urlpatterns = [
    path("login/", account_views.SignInView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("tokens/", account_views.api_tokens, name="api-tokens"),
    path("tokens/<int:token_id>/revoke", account_views.api_token_revoke_view, name="api-token-revoke"),
]
