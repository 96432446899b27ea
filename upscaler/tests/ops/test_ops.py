"""/healthz, /readyz, /metrics: answers, access rules, and what the metrics count."""

from __future__ import annotations

import re

import pytest
from prometheus_client.parser import text_string_to_metric_families

from upscaler.integrations import job_metrics
from upscaler.ops import metrics
from upscaler.tests.support.factories import create_submission

pytestmark = pytest.mark.django_db


@pytest.fixture
def fresh_job_metrics(monkeypatch):
    monkeypatch.setattr(job_metrics, "_local_store", job_metrics._LocalJobStore())


def samples(text: str) -> dict[tuple, float]:
    """{(sample name, sorted labels): value} of an exposition."""
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_healthz_answers_everyone_and_is_not_cached(client):
    response = client.get("/healthz", REMOTE_ADDR="203.0.113.9")
    assert response.status_code == 200 and response.content == b"ok"
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.parametrize("path", ["/readyz", "/metrics"])
def test_ops_endpoints_refuse_other_networks(client, path):
    assert client.get(path, REMOTE_ADDR="203.0.113.9").status_code == 403
    assert client.get(path, REMOTE_ADDR="127.0.0.1").status_code == 200


@pytest.mark.parametrize("path", ["/readyz", "/metrics"])
def test_ops_endpoints_accept_the_bearer_token_from_anywhere(client, settings, path):
    settings.UPSCALER_OPS_TOKEN = "s3cret-ops-token"
    outside = {"REMOTE_ADDR": "203.0.113.9"}
    assert client.get(path, HTTP_AUTHORIZATION="Bearer s3cret-ops-token", **outside).status_code == 200
    assert client.get(path, HTTP_AUTHORIZATION="Bearer wrong", **outside).status_code == 403
    assert client.get(path, HTTP_AUTHORIZATION="s3cret-ops-token", **outside).status_code == 403


def test_allowed_networks_are_cidrs(client, settings):
    settings.UPSCALER_OPS_ALLOWED_NETWORKS = ["10.1.0.0/16"]
    assert client.get("/metrics", REMOTE_ADDR="10.1.200.3").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 403


def test_readyz_in_embedded_mode_counts_the_in_process_runner(client):
    body = client.get("/readyz").json()
    assert body["ready"] is True
    assert body["checks"]["database"]["ok"] and body["checks"]["workers"]["ok"]
    assert "in-process" in body["checks"]["workers"]["detail"]


def test_readyz_is_503_when_celery_workers_cannot_report(client, settings):
    settings.UPSCALER_JOB_BACKEND = "upscaler.jobs.backends.celery.CeleryBackend"  # and no REDIS_URL for heartbeats
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["ready"] is False and body["checks"]["workers"]["ok"] is False
    assert body["checks"]["database"]["ok"] is True


def test_readyz_reports_a_database_outage(client, monkeypatch):
    from upscaler.ops import checks

    def broken():
        return checks.Check("database", False, "OperationalError: connection refused")

    monkeypatch.setattr(checks, "_check_database", broken)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["database"]["detail"].startswith("OperationalError")


def test_metrics_count_requests_by_method_and_status(client):
    before = samples(client.get("/metrics").content.decode())
    client.get("/healthz")
    client.get("/healthz")
    client.post("/healthz")
    client.get("/no-such-page/")
    after = samples(client.get("/metrics").content.decode())

    def delta(method, status):
        key = ("srsite_http_requests_total", (("method", method), ("status", status)))
        return after.get(key, 0) - before.get(key, 0)

    assert delta("GET", "200") == 3  # two /healthz and the first /metrics
    assert delta("POST", "200") == 1
    assert delta("GET", "404") == 1


def test_metrics_jobs_by_status_and_job_observations(client, fresh_job_metrics):
    create_submission(width=10, height=8, scale=2)  # runs the real bicubic job
    create_submission(width=10, height=8, scale=2, run=False)  # stays queued
    response = client.get("/metrics")
    assert response["Content-Type"].startswith("text/plain; version=")
    values = samples(response.content.decode())
    assert values[("srsite_jobs", (("status", "succeeded"),))] == 1
    assert values[("srsite_jobs", (("status", "queued"),))] == 1
    assert values[("srsite_jobs", (("status", "failed"),))] == 0
    assert values[("srsite_inference_seconds_count", (("model", "bicubic"),))] == 1
    assert values[("srsite_inference_seconds_bucket", (("le", "+Inf"), ("model", "bicubic")))] == 1
    assert values[("srsite_inference_seconds_sum", (("model", "bicubic"),))] >= 0
    assert values[("srsite_output_megapixels_total", (("model", "bicubic"),))] == pytest.approx(20 * 16 / 1e6)


def test_histogram_buckets_are_cumulative(fresh_job_metrics):
    job_metrics.job_observe(model_name="m", seconds=0.2, output_pixels=1_000_000)
    job_metrics.job_observe(model_name="m", seconds=3.0, output_pixels=2_000_000)
    family = next(f for f in metrics.JobObservationsCollector().collect() if f.name == "srsite_inference_seconds")
    buckets = {s.labels["le"]: s.value for s in family.samples if s.name.endswith("_bucket")}
    assert buckets["0.1"] == 0 and buckets["0.25"] == 1 and buckets["2.5"] == 1
    assert buckets["5"] == 2 and buckets["+Inf"] == 2


def test_a_failing_collector_drops_its_metrics_not_the_scrape(client, monkeypatch):
    def boom(self):
        raise ConnectionError("database is down")

    monkeypatch.setattr(metrics.JobsByStatusCollector, "collect", boom)
    response = client.get("/metrics")
    assert response.status_code == 200
    text = response.content.decode()
    assert "srsite_http_requests_total" in text and not re.search(r"^srsite_jobs\{", text, re.M)
