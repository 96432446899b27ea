"""The minimal gallery lists only the visitor's own submissions."""

import io

import pytest
from django.test import Client

from upscaler.models import Submission
from upscaler.tests.conftest import make_image_bytes

pytestmark = pytest.mark.django_db(transaction=True)


def upload(client):
    data = io.BytesIO(make_image_bytes())
    data.name = "a.png"
    assert client.post("/", {"image": data, "scale": 2, "model": "bicubic"}).status_code == 302


def test_gallery_shows_own_submissions_only(client):
    upload(client)
    mine = Submission.objects.get()
    other = Client()
    upload(other)
    theirs = Submission.objects.exclude(pk=mine.pk).get()
    html = client.get("/gallery/").content.decode()
    assert f"/s/{mine.id}/" in html and f"/s/{theirs.id}/" not in html
    assert "Succeeded" in html
