"""Gallery URLs."""

from django.urls import path

from gallery import views

app_name = "gallery"

urlpatterns = [
    path("", views.index, name="index"),
    path("mine/", views.mine, name="mine"),
    path("<uuid:submission_id>/", views.detail, name="detail"),
]
