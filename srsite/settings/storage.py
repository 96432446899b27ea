"""Static files, media, and the storage of uploads and results (local folder or S3)."""

from pathlib import Path

from .env import BASE_DIR, DATA_DIR, env

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env.str("DJANGO_STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
MEDIA_ROOT = Path(env.str("DJANGO_MEDIA_ROOT", default=str(DATA_DIR / "media")))
# Media is never served under MEDIA_URL: files go out through owner-checked views.
MEDIA_URL = "/media-not-served/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# S3-compatible object storage (AWS, MinIO, ...) for uploads and results when a bucket is named.
# Files are then served by redirecting to short-lived presigned URLs (upscaler/integrations/file_responses.py).
AWS_STORAGE_BUCKET_NAME = env.str("AWS_STORAGE_BUCKET_NAME", default="")
if AWS_STORAGE_BUCKET_NAME:
    _addressing_style = env.str("AWS_S3_ADDRESSING_STYLE", default="")  # "path" for MinIO
    STORAGES["default"] = {
        "BACKEND": "upscaler.integrations.storage.PresignedS3Storage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "endpoint_url": env.str("AWS_S3_ENDPOINT_URL", default="") or None,
            # Where browsers reach the store, when it differs from where the servers do.
            "public_endpoint_url": env.str("AWS_S3_PUBLIC_ENDPOINT_URL", default="") or None,
            "region_name": env.str("AWS_S3_REGION_NAME", default="") or None,
            # Empty keys: boto3's own chain (instance role, ~/.aws, AWS_* read by boto3).
            "access_key": env.str("AWS_ACCESS_KEY_ID", default="") or None,
            "secret_key": env.str("AWS_SECRET_ACCESS_KEY", default="") or None,
            "querystring_auth": True,
            "querystring_expire": env.int("AWS_QUERYSTRING_EXPIRE", default=300),  # seconds
            "addressing_style": _addressing_style or None,
            "signature_version": "s3v4",
            "default_acl": None,  # private objects: only presigned URLs reach them
            # Generated names are unique; never overwrite (the same rule as the local filesystem).
            "file_overwrite": False,
        },
    }

FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
