"""Uploads and results on S3-compatible storage: a real S3 server on loopback (moto in server
mode, a subprocess), boto3 talking HTTP to it. upload -> job -> object in the bucket -> the
owner-checked file views answer a redirect to a presigned URL that downloads the bytes."""

from __future__ import annotations

import io
import os
from contextlib import contextmanager
from urllib.parse import urlsplit

import boto3
import httpx
import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from upscaler.models import Result, Submission
from upscaler.services.deletion import submissions_delete
from upscaler.services.results import result_process
from upscaler.services.submissions import submission_create
from upscaler.tests.conftest import make_image_bytes
from upscaler.tests.support.factories import create_submission
from upscaler.tests.support.servers import PYTHON, ROOT, free_port, process, wait_http

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

BUCKET = "srsite-test"
KEYS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
ARTIFACTS = ROOT / "test-artifacts"


@contextmanager
def moto_server(log_name: str = "moto-server.log"):
    """A moto S3 server on loopback: yields (endpoint URL, process)."""
    port = free_port()
    log = ARTIFACTS / log_name
    with process([PYTHON, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)], env=_env(), log_path=log) as proc:
        url = f"http://127.0.0.1:{port}"
        wait_http(f"{url}/moto-api/", proc, log, timeout=60)
        yield url, proc


@pytest.fixture(scope="module")
def s3_endpoint():
    with moto_server() as (url, _proc):
        yield url


def _env():
    return {**os.environ, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}


@pytest.fixture
def s3(settings, s3_endpoint, request):
    """Point the default storage at a fresh bucket on the moto server."""
    return use_bucket(settings, s3_endpoint, f"{BUCKET}-{request.node.name.replace('_', '-')[:40].lower()}")


def use_bucket(settings, s3_endpoint: str, bucket: str) -> dict:
    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1", **KEYS)
    client.create_bucket(Bucket=bucket)
    options = {
        "bucket_name": bucket, "endpoint_url": s3_endpoint, "region_name": "us-east-1",
        "access_key": "testing", "secret_key": "testing", "querystring_auth": True,
        "querystring_expire": 120, "addressing_style": "path", "signature_version": "s3v4",
        "default_acl": None, "file_overwrite": False,
    }
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "upscaler.integrations.storage.PresignedS3Storage",
                                                           "OPTIONS": options}}
    return {"client": client, "bucket": bucket, "endpoint": s3_endpoint, "options": options}


def keys(s3) -> set[str]:
    return {o["Key"] for o in s3["client"].list_objects_v2(Bucket=s3["bucket"]).get("Contents", [])}


def test_upload_job_and_signed_download(s3, user, client):
    data = make_image_bytes(12, 10)
    upload = SimpleUploadedFile("a.png", data, "image/png")
    submission = submission_create(owner=user, session_key=None, scale=2, model_name="bicubic", upload=upload)
    result = Result.objects.get(submission=submission)
    result_process(result_id=result.id)  # the job, with the real bicubic engine
    result.refresh_from_db()
    assert result.status == Result.Status.SUCCEEDED, result.error
    assert {submission.original.name, result.output.name} <= keys(s3)
    stored = s3["client"].get_object(Bucket=s3["bucket"], Key=result.output.name)["Body"].read()
    with Image.open(io.BytesIO(stored)) as image:
        assert image.size == (24, 20)

    client.force_login(user)
    for path, expected in ((f"/r/{result.id}/output.png", stored), (f"/s/{submission.id}/original", data),
                           (f"/api/v1/results/{result.id}/output/", stored)):
        response = client.get(path)
        assert response.status_code == 302, (path, response.status_code)
        assert response["Cache-Control"] == "private, no-store"
        url = response["Location"]
        assert url.startswith(f"{s3['endpoint']}/{s3['bucket']}/") and "X-Amz-Signature=" in url
        assert "X-Amz-Expires=120" in url
        download = httpx.get(url, timeout=10)
        assert download.status_code == 200 and download.content == expected, path
        assert download.headers["content-type"] == "image/png"

    client.logout()  # a stranger gets no URL at all
    assert client.get(f"/r/{result.id}/output.png").status_code == 404


def test_delete_removes_the_objects(s3, user, django_capture_on_commit_callbacks):
    submission = create_submission(owner=user)
    assert len(keys(s3)) == 2
    with django_capture_on_commit_callbacks(execute=True):
        submissions_delete(submission_ids=[submission.pk])
    assert not Submission.objects.filter(pk=submission.pk).exists()
    assert keys(s3) == set()


def test_presigned_urls_can_name_the_public_endpoint(s3, settings):
    public = s3["endpoint"].replace("127.0.0.1", "localhost")
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "upscaler.integrations.storage.PresignedS3Storage",
        "OPTIONS": {**s3["options"], "public_endpoint_url": public}}}
    name = default_storage.save("probe/hello.txt", io.BytesIO(b"hello"))
    url = default_storage.url(name)
    assert urlsplit(url).netloc == urlsplit(public).netloc and "X-Amz-Signature=" in url
    assert httpx.get(url, timeout=10).content == b"hello"  # signed for that host, and valid there


def test_object_store_down_while_storing_fails_the_job_with_a_reason(settings, user, fake_upscaler):
    """The store goes away between reading the original and writing the result: the job fails
    with a message the owner can act on (the original is kept for a re-run), not a traceback."""
    with moto_server("moto-server-killed.log") as (endpoint, proc):
        use_bucket(settings, endpoint, "srsite-store-down")
        upload = SimpleUploadedFile("a.png", make_image_bytes(12, 10), "image/png")
        submission = submission_create(owner=user, session_key=None, scale=2, model_name="bicubic", upload=upload)
        result = Result.objects.get(submission=submission)

        def store_goes_down(tile: int) -> None:
            if tile == 2:
                proc.kill()
                proc.wait(timeout=10)

        fake_upscaler(tiles=2, on_tile=store_goes_down)
        result_process(result_id=result.id)
    result.refresh_from_db()
    assert result.status == Result.Status.FAILED
    assert result.error.startswith("The result could not be stored (") and "try again later" in result.error
    assert not result.output and result.claimed_until is None
    assert Submission.objects.filter(pk=submission.pk).exists()
