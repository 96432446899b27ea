"""Worker heartbeats, job metrics and queue depth on the real Redis (the tests' DB)."""

from __future__ import annotations

import json
import time

import pytest

from upscaler.integrations import engine_provider, job_metrics, redis_client
from upscaler.jobs import heartbeat
from upscaler.ops import checks, metrics

pytestmark = [pytest.mark.integration]


@pytest.fixture
def redis(infrastructure, settings):
    settings.UPSCALER_REDIS_PREFIX = "srsite-test-health"
    client = redis_client.get()
    for key in client.scan_iter("srsite-test-health:*"):
        client.delete(key)
    yield client
    for key in client.scan_iter("srsite-test-health:*"):
        client.delete(key)


def test_heartbeats_report_loaded_models_and_go_stale(redis, settings, monkeypatch):
    settings.UPSCALER_WORKER_HEARTBEAT_SECONDS = 10
    monkeypatch.setattr(engine_provider, "loaded_models", lambda: ["bicubic:4"])
    beat = heartbeat.Heartbeat()
    beat.beat()
    assert heartbeat.workers_alive() == {beat.member: ["bicubic:4"]}

    now = time.time()
    stale = json.dumps({"at": now - 3 * 10 - 1, "models": ["bicubic:2"]})
    forgotten = json.dumps({"at": now - 30 * 10 - 1, "models": ["bicubic:2"]})
    redis.hset(heartbeat.workers_key(), mapping={"gone:1": stale, "long-gone:2": forgotten})
    assert set(heartbeat.workers_alive()) == {beat.member}  # stale ones do not count
    beat.beat()  # and long-gone ones are removed
    assert set(redis.hkeys(heartbeat.workers_key())) == {beat.member.encode(), b"gone:1"}

    beat.stop()
    assert heartbeat.workers_alive() == {}


def test_a_worker_without_a_model_is_not_ready(redis, settings, monkeypatch):
    settings.UPSCALER_JOB_BACKEND = "upscaler.jobs.backends.celery.CeleryBackend"
    monkeypatch.setattr(engine_provider, "loaded_models", lambda: [])
    heartbeat.Heartbeat().beat()
    check = checks._check_workers()
    assert not check.ok and "no worker has a model loaded" in check.detail
    monkeypatch.setattr(engine_provider, "loaded_models", lambda: ["bicubic:4"])
    heartbeat.Heartbeat().beat()
    assert checks._check_workers().ok


def test_job_observations_accumulate_in_redis(redis):
    job_metrics.job_observe(model_name="bicubic", seconds=0.02, output_pixels=500_000)
    job_metrics.job_observe(model_name="bicubic", seconds=7, output_pixels=1_500_000)
    families = {f.name: f for f in metrics.JobObservationsCollector().collect()}
    values = {(s.name, s.labels.get("le")): s.value for s in families["srsite_inference_seconds"].samples}
    assert values[("srsite_inference_seconds_count", None)] == 2
    assert values[("srsite_inference_seconds_bucket", "0.05")] == 1
    assert values[("srsite_inference_seconds_bucket", "10")] == 2
    assert values[("srsite_inference_seconds_sum", None)] == pytest.approx(7.02)
    assert families["srsite_output_megapixels"].samples[0].value == pytest.approx(2.0)


def test_queue_depth_counts_every_priority_list(redis, settings):
    client = redis_client.get(settings.CELERY_BROKER_URL)

    def depth() -> dict:
        family = next(metrics.QueueDepthCollector().collect())
        return {s.labels["queue"]: s.value for s in family.samples}

    # The broker DB is shared with the other integration tests: count a difference, and take
    # back exactly the items pushed here.
    before = depth()
    assert set(before) == {"inference", "default"}
    marker = f"srsite-test-health-{time.time_ns()}"
    lists = {"inference": 2, f"inference{metrics.KOMBU_PRIORITY_SEP}3": 1, f"default{metrics.KOMBU_PRIORITY_SEP}9": 1}
    try:
        for key, count in lists.items():
            client.rpush(key, *[marker] * count)
        after = depth()
        assert after["inference"] - before["inference"] == 3
        assert after["default"] - before["default"] == 1
    finally:
        for key in lists:
            client.lrem(key, 0, marker)
