"""`manage.py check --deploy` passes with the production settings and the variables compose.yaml
sets (no warning at all), and does complain when a safety is switched off."""

from __future__ import annotations

import os
import subprocess

from upscaler.tests.support.servers import PYTHON, ROOT

PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "srsite.settings.production",
    "DJANGO_SECRET_KEY": "x7Qe2v9LrT4mZ1pK8sW3nB6cY0hJ5dF2gA9uE4iO7tR1yU3wQ6zX8cV5bN2mL0kP",
    "DJANGO_ALLOWED_HOSTS": "sr.example.org",
    "DJANGO_BEHIND_TLS_PROXY": "true",
    # Settings only: `check` without --database connects to neither.
    "DATABASE_URL": "postgres://srsite:srsite@db.invalid:5432/srsite",
    "REDIS_URL": "redis://redis.invalid:6379/0",
}


def check_deploy(**overrides) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "UPSCALER_", "AWS_"))}
    env.update(PRODUCTION_ENV, **overrides)
    return subprocess.run(
        [PYTHON, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )


def test_check_deploy_passes_with_the_production_defaults():
    done = check_deploy()
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no issues" in done.stdout


def test_check_deploy_passes_with_s3_storage():
    done = check_deploy(AWS_STORAGE_BUCKET_NAME="srsite", AWS_S3_ENDPOINT_URL="http://minio:9000")
    assert done.returncode == 0, done.stdout + done.stderr


def test_check_deploy_fails_when_a_safety_is_off():
    done = check_deploy(DJANGO_SECURE_SSL_REDIRECT="false", DJANGO_SECURE_HSTS_SECONDS="0")
    assert done.returncode != 0
    assert "security.W008" in done.stderr and "security.W004" in done.stderr
    weak = check_deploy(DJANGO_SECRET_KEY="short")
    assert weak.returncode != 0 and "DJANGO_SECRET_KEY must be a long random value" in weak.stderr


def test_production_refuses_placeholder_secrets():
    for key in ("change-me", "django-insecure-" + "x" * 50):
        refused = check_deploy(DJANGO_SECRET_KEY=key)
        assert refused.returncode != 0 and "DJANGO_SECRET_KEY" in refused.stderr, key
    store = check_deploy(AWS_STORAGE_BUCKET_NAME="srsite", AWS_SECRET_ACCESS_KEY="change-me-too")
    assert store.returncode != 0 and "AWS_SECRET_ACCESS_KEY is a placeholder" in store.stderr
