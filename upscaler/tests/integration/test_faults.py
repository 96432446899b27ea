"""Faults injected into a real Celery worker on PostgreSQL + Redis: a worker SIGKILLed mid-job (its
pool process, then the whole worker), Redis restarted with jobs queued, a disk that fills up
while writing a result, and the database cut off for seconds mid-job. Every job ends
`succeeded` (or `failed` with a reason), none stays `running`, and none is lost.

These tests run their own Redis (a private `redis-server` with an append-only file, as
production needs: the machine's Redis is shared) and send tasks with a Celery app of their own;
the worker is upscaler/tests/support/faultworker.py (slow tiles, a failing disk).
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest
import redis
from celery import Celery

from upscaler.models import Result
from upscaler.services.submissions import submission_create
from upscaler.tests.conftest import make_image_bytes, stored_files
from upscaler.tests.integration.conftest import ARTIFACTS
from upscaler.tests.support.servers import PYTHON, free_port, process

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

# 160x128 in 32 px tiles: 20 tiles of TILE_SECONDS each, a job of ~6 s.
WIDTH, HEIGHT, SCALE = 160, 128, 2
TILES = 20
TILE_SECONDS = 0.3
LEASE_SECONDS = 5  # renewed by every progress report
VISIBILITY_TIMEOUT = 8  # the broker redelivers an unacknowledged task after this


class PrivateRedis:
    """A redis-server of this test's own, persisting to an append-only file in `folder`."""

    def __init__(self, folder: Path):
        self.folder, self.port = folder, free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        log = open(self.folder / "redis.log", "ab")  # noqa: SIM115 (closed with the process)
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.folder),
             "--appendonly", "yes", "--appendfsync", "everysec", "--save", "", "--protected-mode", "no"],
            stdout=log, stderr=subprocess.STDOUT,
        )
        log.close()
        client = redis.Redis.from_url(self.url, socket_connect_timeout=1)
        deadline = time.monotonic() + 20
        while True:
            try:
                client.ping()
                return
            except redis.ConnectionError:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    raise RuntimeError((self.folder / "redis.log").read_text()[-2000:]) from None
                time.sleep(0.1)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()  # SIGTERM: Redis flushes its append-only file and exits
            self.proc.wait(timeout=20)

    def client(self) -> redis.Redis:
        return redis.Redis.from_url(self.url)


class CuttableProxy:
    """A TCP proxy to PostgreSQL that can drop every connection and refuse new ones for a while."""

    def __init__(self, target_port: int):
        self.target_port = target_port
        self.cut = False
        self.dropped = self.refused = 0
        self._pairs: set = set()
        self._loop = asyncio.new_event_loop()
        self._server = self._loop.run_until_complete(asyncio.start_server(self._handle, "127.0.0.1", 0))
        self.port = self._server.sockets[0].getsockname()[1]
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()

    async def _handle(self, reader, writer) -> None:
        if self.cut:
            self.refused += 1
            writer.transport.abort()
            return
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        pair = (writer, up_writer)
        self._pairs.add(pair)

        async def pipe(src, dst) -> None:
            try:
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            except OSError:
                pass
            finally:
                dst.transport.abort()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))
        self._pairs.discard(pair)

    def disconnect(self) -> None:
        def _cut():
            self.cut = True
            for a, b in list(self._pairs):
                a.transport.abort()
                b.transport.abort()
                self.dropped += 1

        self._loop.call_soon_threadsafe(_cut)

    def reconnect(self) -> None:
        self._loop.call_soon_threadsafe(setattr, self, "cut", False)

    def close(self) -> None:
        self.disconnect()
        self._loop.call_soon_threadsafe(self._server.close)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)


@pytest.fixture
def private_redis(tmp_path):
    server = PrivateRedis(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def fault_env(stack_env, private_redis, media_root) -> dict:
    return {
        **stack_env,
        "REDIS_URL": private_redis.url,
        "DJANGO_MEDIA_ROOT": str(media_root),
        "UPSCALER_WORKER_PRELOAD": "bicubic:2",  # no torch in these workers
        "UPSCALER_JOB_LEASE_SECONDS": str(LEASE_SECONDS),
        "UPSCALER_BROKER_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT),
        "UPSCALER_BROKER_RESTORE_SECONDS": "1",
        "UPSCALER_TILE_OVERLAP": "8",
        "UPSCALER_PROGRESS_INTERVAL": "0",
        "SRSITE_FAULT_TILE_SECONDS": str(TILE_SECONDS),
        "SRSITE_FAULT_TILE_SIZE": "32",
    }


@pytest.fixture
def fault_worker(fault_env, request):
    """start(**env overrides) -> (process, log): a faultworker consuming `inference`."""
    running = []

    def start(**overrides):
        log = ARTIFACTS / f"fault-{request.node.name}-{len(running)}.log"
        args = [PYTHON, "-m", "upscaler.tests.support.faultworker", "worker", "-Q", "inference", "--concurrency", "1",
                "--without-gossip", "--without-mingle", "--without-heartbeat", "--loglevel", "INFO",
                "-n", f"fault-{len(running)}-{os.getpid()}@%h"]
        context = process(args, env={**fault_env, **overrides}, log_path=log)
        proc = context.__enter__()
        running.append(context)
        return proc, log

    yield start
    for context in reversed(running):
        context.__exit__(None, None, None)


@pytest.fixture
def submit(private_redis, make_upload, monkeypatch, recorded_jobs):
    """Queue a job on the private Redis, as the web tier would (the row committed first)."""
    app = Celery("fault-tests", broker=private_redis.url, set_as_current=False)

    def _submit(width=WIDTH, height=HEIGHT) -> Result:
        submission = submission_create(
            owner=None, session_key="f" * 32, upload=make_upload(make_image_bytes(width, height)),
            scale=SCALE, model_name="bicubic",
        )
        result = submission.results.get()
        app.send_task("upscaler.result_process", args=[str(result.id)], queue="inference")
        return result

    yield _submit
    app.close()


def wait_for(predicate, *, timeout: float, log: Path | None = None, what: str = ""):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    detail = log.read_text()[-3000:] if log is not None and log.exists() else ""
    raise AssertionError(f"timed out after {timeout}s waiting for {what}\n{detail}")


def running_with_progress(result_id, tiles: int = 3):
    def check():
        row = Result.objects.get(pk=result_id)
        return row if row.status == "running" and row.tiles_done >= tiles else None

    return check


def terminal(result_id):
    def check():
        row = Result.objects.get(pk=result_id)
        return row if row.status in ("succeeded", "failed", "cancelled") else None

    return check


def pool_children(pid: int) -> list[int]:
    text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    return [int(child) for child in text.split()]


def result_files(media_root: Path) -> list[str]:
    return [name for name in stored_files(media_root) if name.startswith("results/")]


def test_sigkill_of_the_pool_process_mid_job_redelivers_and_completes(fault_worker, submit, media_root):
    proc, log = fault_worker()
    result = submit()
    row = wait_for(running_with_progress(result.id), timeout=90, log=log, what="progress")
    assert row.attempts == 1
    (child,) = pool_children(proc.pid)
    os.kill(child, signal.SIGKILL)

    row = wait_for(terminal(result.id), timeout=90, log=log, what="the redelivered job")
    assert row.status == "succeeded", row.error
    assert row.attempts == 2 and row.tiles_done == TILES
    assert (row.output_width, row.output_height) == (WIDTH * SCALE, HEIGHT * SCALE)
    assert result_files(media_root) == [row.output.name]
    assert "WorkerLostError" in log.read_text() or "signal 9" in log.read_text()


def test_sigkill_of_the_whole_worker_mid_job_a_new_worker_completes_it(fault_worker, submit, media_root):
    proc, log = fault_worker()
    result = submit()
    wait_for(running_with_progress(result.id), timeout=90, log=log, what="progress")
    os.killpg(proc.pid, signal.SIGKILL)  # main process and pool process: no one acks or rejects
    proc.wait(timeout=10)
    killed_at = time.monotonic()
    assert Result.objects.get(pk=result.id).status == "running"

    _proc, log = fault_worker()
    row = wait_for(terminal(result.id), timeout=120, log=log, what="the job after a new worker started")
    assert row.status == "succeeded", row.error
    assert row.attempts == 2 and row.tiles_done == TILES
    # Redelivered by the broker once the visibility timeout passed, not before.
    assert time.monotonic() - killed_at >= VISIBILITY_TIMEOUT - 2
    assert result_files(media_root) == [row.output.name]


def test_redis_restarted_with_jobs_queued_loses_none(fault_worker, submit, private_redis):
    results = [submit(width=32, height=32) for _ in range(3)]
    client = private_redis.client()
    assert client.llen("inference") == 3
    time.sleep(1.5)  # appendfsync everysec
    private_redis.stop()
    private_redis.start()
    assert client.llen("inference") == 3  # replayed from the append-only file

    _proc, log = fault_worker()
    for result in results:
        row = wait_for(terminal(result.id), timeout=90, log=log, what=f"job {result.id}")
        assert row.status == "succeeded", row.error


def test_a_full_disk_fails_the_job_with_a_reason_and_no_half_written_file(fault_worker, submit, media_root):
    _proc, log = fault_worker(SRSITE_FAULT_STORAGE_FAILURES="1", SRSITE_FAULT_TILE_SECONDS="0")
    first = submit(width=32, height=32)
    row = wait_for(terminal(first.id), timeout=90, log=log, what="the job with a full disk")
    assert row.status == "failed"
    assert row.error == "The result could not be stored (No space left on device); please try again later."
    assert not row.output and result_files(media_root) == []
    assert "No space left on device" in log.read_text()

    # The same worker keeps serving once the disk has room again.
    second = submit(width=32, height=32)
    row = wait_for(terminal(second.id), timeout=60, log=log, what="the next job")
    assert row.status == "succeeded" and result_files(media_root) == [row.output.name]


def test_database_cut_mid_job_is_retried_and_the_job_completes(fault_worker, fault_env, submit, media_root):
    database_url = fault_env["DATABASE_URL"]
    host_port = database_url.split("@", 1)[1].split("/", 1)[0]
    proxy = CuttableProxy(int(host_port.rsplit(":", 1)[1]))
    try:
        proxied = database_url.replace(host_port, f"127.0.0.1:{proxy.port}")
        _proc, log = fault_worker(DATABASE_URL=proxied)
        result = submit()
        wait_for(running_with_progress(result.id), timeout=90, log=log, what="progress")
        proxy.disconnect()
        time.sleep(4)
        assert Result.objects.get(pk=result.id).status == "running"
        proxy.reconnect()

        row = wait_for(terminal(result.id), timeout=120, log=log, what="the job after the outage")
        assert row.status == "succeeded", row.error
        assert row.attempts == 2 and row.tiles_done == TILES
        assert proxy.dropped >= 1 and proxy.refused >= 1  # the outage did reach the worker
        text = log.read_text()
        assert "database unavailable" in text and "Retry in" in text
        assert result_files(media_root) == [row.output.name]
    finally:
        proxy.close()
