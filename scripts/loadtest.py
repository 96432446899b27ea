"""Bounded load test of the production web tier (a benchmark, not a test).

Starts gunicorn (gunicorn.conf.py, uvicorn workers) and one Celery worker in production settings
against this machine's PostgreSQL and Redis (its own database and Redis DB), or targets a
running server (--target, --token). Then N concurrent API uploads of small distinct images and M
websocket watchers; prints throughput, p50/p95 of upload acceptance and of end-to-end
completion, and a reconciliation line: accepted = succeeded + failed + cancelled, none stuck.

Loopback only (a non-loopback target is refused), and it stops by itself at --deadline.

    .venv/bin/python scripts/loadtest.py --uploads 40 --watchers 10
"""

from __future__ import annotations

import argparse
import asyncio
import io
import ipaddress
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import ExitStack, contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import httpx
from PIL import Image
from websockets.asyncio.client import connect as ws_connect

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
TERMINAL = {"succeeded", "failed", "cancelled"}
POLL_SECONDS = 0.5


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--uploads", "-n", type=int, default=40, help="concurrent uploads (N)")
    parser.add_argument("--watchers", "-m", type=int, default=10, help="websocket watchers (M <= N)")
    parser.add_argument("--deadline", type=float, default=300, help="seconds before giving up (default 300)")
    parser.add_argument("--size", default="64x48", help="image size WxH (default 64x48)")
    parser.add_argument("--scale", type=int, default=2)
    parser.add_argument("--model", default="bicubic")
    parser.add_argument("--target", help="a running server (loopback), e.g. http://127.0.0.1:8000")
    parser.add_argument("--token", help="API token for --target (manage.py create_api_token)")
    parser.add_argument("--gunicorn-workers", type=int, default=2)
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/srsite_loadtest")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/12")
    args = parser.parse_args()
    if not 0 <= args.watchers <= args.uploads:
        parser.error("--watchers must be between 0 and --uploads")
    return args


def require_loopback(url: str) -> None:
    host = urlsplit(url).hostname or ""
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(host, None)}
    except socket.gaierror as exc:
        raise SystemExit(f"loadtest: cannot resolve {host!r}: {exc}") from exc
    if not addresses or not all(ipaddress.ip_address(a.split("%")[0]).is_loopback for a in addresses):
        raise SystemExit(f"loadtest: refusing non-loopback target {url} ({', '.join(sorted(addresses))})")


# --- The stack ------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def started(args: list[str], env: dict, log: Path):
    with open(log, "wb") as out:
        proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            yield proc
        finally:
            for sig, wait in ((signal.SIGTERM, 20), (signal.SIGKILL, 5)):
                if proc.poll() is not None:
                    break
                os.killpg(proc.pid, sig)
                try:
                    proc.wait(timeout=wait)
                except subprocess.TimeoutExpired:
                    continue


def ensure_database(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = parts._replace(path="/postgres").geturl().replace("postgres://", "postgresql://", 1)
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def start_stack(opts, stack: ExitStack) -> tuple[str, str]:
    import redis

    work = Path(tempfile.mkdtemp(prefix="srsite-loadtest-"))
    logs = ROOT / "test-artifacts" / "loadtest"
    logs.mkdir(parents=True, exist_ok=True)
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "UPSCALER_", "AWS_", "GUNICORN_"))},
        "DJANGO_SETTINGS_MODULE": "srsite.settings.production",
        "DJANGO_SECRET_KEY": "loadtest-" + uuid.uuid4().hex * 2,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "DJANGO_SECURE_COOKIES": "false",
        "DJANGO_LOG_LEVEL": "WARNING",
        "DATABASE_URL": opts.database_url,
        "REDIS_URL": opts.redis_url,
        "UPSCALER_REDIS_PREFIX": "srsite-loadtest",
        "DJANGO_MEDIA_ROOT": str(work / "media"),
        "DJANGO_STATIC_ROOT": str(work / "static"),
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": str(opts.gunicorn_workers),
        "GUNICORN_ACCESS_LOG": "",
        "PROMETHEUS_MULTIPROC_DIR": str(work / "prometheus"),
        # The load is the point: no rate limits or quota in the way.
        "UPSCALER_API_THROTTLE_USER": "1000000/hour",
        "UPSCALER_API_THROTTLE_SUBMIT": "1000000/hour",
        "UPSCALER_QUOTA_MEGAPIXELS": "0",
        "UPSCALER_WORKER_PRELOAD": f"{opts.model}:{opts.scale}",
    }
    env.pop("CELERY_BROKER_URL", None)
    print(f"loadtest: preparing {opts.database_url} and {opts.redis_url} (own database and Redis DB)", flush=True)
    ensure_database(opts.database_url)
    redis.Redis.from_url(opts.redis_url).flushdb()
    manage = [PYTHON, "manage.py"]
    subprocess.run([*manage, "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True, timeout=600)
    subprocess.run([*manage, "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True, timeout=600)
    token = subprocess.run([*manage, "create_api_token", "loadtest"], cwd=ROOT, env=env, check=True,
                           capture_output=True, text=True, timeout=120).stdout.strip()
    web = stack.enter_context(started(
        [PYTHON, "-m", "gunicorn", "-c", "gunicorn.conf.py", "srsite.asgi:application"], env, logs / "gunicorn.log"))
    worker = stack.enter_context(started(
        [PYTHON, "-m", "celery", "-A", "srsite", "worker", "-Q", "inference,default", "--concurrency", "1",
         "--without-gossip", "--without-mingle", "-n", f"loadtest-{os.getpid()}@%h", "--loglevel", "WARNING"],
        env, logs / "worker.log"))
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    while True:  # ready = database, Redis, and the worker has loaded its model
        for proc, name in ((web, "gunicorn"), (worker, "worker")):
            if proc.poll() is not None:
                raise SystemExit(f"loadtest: {name} exited; see {logs}")
        try:
            if httpx.get(f"{base}/readyz", timeout=5).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise SystemExit(f"loadtest: the stack was not ready in 180 s; see {logs}")
        time.sleep(0.5)
    print(f"loadtest: gunicorn ({opts.gunicorn_workers} uvicorn workers) at {base}, Celery worker ready; "
          f"logs in {logs.relative_to(ROOT)}", flush=True)
    return base, token


# --- The load -------------------------------------------------------------------------------------


def make_image(width: int, height: int) -> bytes:
    # Random pixels: every upload is distinct (identical ones would be deduplicated).
    image = Image.frombytes("RGB", (width, height), os.urandom(width * height * 3))
    buf = io.BytesIO()
    image.save(buf, "PNG")
    return buf.getvalue()


class Job:
    def __init__(self, index: int):
        self.index = index
        self.started = 0.0
        self.accepted_at: float | None = None
        self.finished_at: float | None = None
        self.id: str | None = None
        self.status: str | None = None
        self.http_status: int | None = None
        self.websocket: str | None = None
        self.watched = False


async def upload(client: httpx.AsyncClient, job: Job, opts, image: bytes) -> None:
    job.started = time.monotonic()
    try:
        response = await client.post(
            "/api/v1/submissions/",
            data={"scale": str(opts.scale), "model": opts.model, "format": "png"},
            files={"image": (f"load-{job.index}.png", image, "image/png")},
            headers={"Idempotency-Key": str(uuid.uuid4())},
        )
    except httpx.HTTPError as exc:
        job.status = f"error: {type(exc).__name__}"
        return
    job.http_status = response.status_code
    if response.status_code in (200, 202):
        job.accepted_at = time.monotonic()
        body = response.json()
        job.id, job.status, job.websocket = body["id"], body["status"], body["links"]["websocket"]


async def watch(job: Job, base: str, token: str) -> None:
    """Wait for the final event on the submission's websocket."""
    job.watched = True
    async with ws_connect(job.websocket, origin=base, additional_headers={"Authorization": f"Token {token}"},
                          open_timeout=30) as ws:
        async for message in ws:
            event = json.loads(message)
            if event["final"]:
                job.status, job.finished_at = event["status"], time.monotonic()
                return


async def poll(client: httpx.AsyncClient, job: Job) -> None:
    while True:
        response = await client.get(f"/api/v1/submissions/{job.id}/")
        if response.status_code == 200 and (status := response.json()["status"]) in TERMINAL:
            job.status, job.finished_at = status, time.monotonic()
            return
        await asyncio.sleep(POLL_SECONDS)


async def follow(client, job: Job, base: str, token: str, watched: bool) -> None:
    if job.id is None:
        return
    if job.status in TERMINAL:  # finished before we looked
        job.finished_at = time.monotonic()
        return
    await (watch(job, base, token) if watched else poll(client, job))


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


async def run_load(base: str, token: str, opts) -> int:
    width, height = (int(v) for v in opts.size.lower().split("x"))
    images = [make_image(width, height) for _ in range(opts.uploads)]
    jobs = [Job(i) for i in range(opts.uploads)]
    limits = httpx.Limits(max_connections=opts.uploads + 10, max_keepalive_connections=opts.uploads + 10)
    async with httpx.AsyncClient(base_url=base, headers={"Authorization": f"Token {token}"}, timeout=60,
                                 limits=limits) as client:
        began = time.monotonic()
        deadline = began + opts.deadline

        async def one(job: Job) -> None:
            await upload(client, job, opts, images[job.index])
            await follow(client, job, base, token, watched=job.index < opts.watchers)

        tasks = [asyncio.create_task(one(job)) for job in jobs]
        done, pending = await asyncio.wait(tasks, timeout=max(0.0, deadline - time.monotonic()))
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        errors = [t.exception() for t in done if t.exception() is not None]
        ended = time.monotonic()

        # Reconciliation from the server's point of view, after the load.
        final = {}
        for job in jobs:
            if job.id is not None:
                response = await client.get(f"/api/v1/submissions/{job.id}/")
                final[job.id] = response.json()["status"] if response.status_code == 200 else "missing"

    accepted = [j for j in jobs if j.id is not None]
    accept_ms = [(j.accepted_at - j.started) * 1000 for j in accepted]
    complete_ms = [(j.finished_at - j.started) * 1000 for j in accepted if j.finished_at is not None]
    counts = {s: sum(1 for v in final.values() if v == s) for s in ("succeeded", "failed", "cancelled")}
    stuck = len(accepted) - sum(counts.values())
    upload_span = max((j.accepted_at for j in accepted), default=began) - began
    watched = [j for j in jobs if j.watched]
    rejected = {}
    for job in jobs:
        if job.id is None:
            rejected[str(job.http_status or job.status)] = rejected.get(str(job.http_status or job.status), 0) + 1

    print(f"\nloadtest: {opts.uploads} uploads ({opts.size} PNG, {opts.model} x{opts.scale}), "
          f"{opts.watchers} websocket watchers, deadline {opts.deadline:.0f} s")
    print(f"  accepted        {len(accepted)}/{opts.uploads}" + (f"  rejected {rejected}" if rejected else ""))
    print(f"  wall time       {ended - began:.2f} s (all uploads accepted after {upload_span:.2f} s)")
    print(f"  throughput      {len(accepted) / upload_span if upload_span else float('nan'):.1f} uploads/s accepted, "
          f"{counts['succeeded'] / (ended - began):.1f} jobs/s completed")
    print(f"  upload accept   p50 {pct(accept_ms, 50):.0f} ms   p95 {pct(accept_ms, 95):.0f} ms   "
          f"max {max(accept_ms, default=float('nan')):.0f} ms")
    print(f"  end-to-end      p50 {pct(complete_ms, 50):.0f} ms   p95 {pct(complete_ms, 95):.0f} ms   "
          f"max {max(complete_ms, default=float('nan')):.0f} ms")
    print(f"  websockets      {sum(1 for j in watched if j.finished_at)}/{len(watched)} watchers got the final event")
    if errors:
        print(f"  client errors   {len(errors)}: {errors[0]!r}")
    ok = stuck == 0 and not errors and len(accepted) == opts.uploads
    print(f"  reconciliation  accepted {len(accepted)} = succeeded {counts['succeeded']} + failed {counts['failed']} "
          f"+ cancelled {counts['cancelled']}; stuck {stuck} -> {'OK' if ok else 'NOT OK'}")
    return 0 if ok else 1


def main() -> int:
    opts = parse_args()
    with ExitStack() as stack:
        if opts.target:
            if not opts.token:
                raise SystemExit("loadtest: --target needs --token")
            require_loopback(opts.target)
            base, token = opts.target.rstrip("/"), opts.token
        else:
            base, token = start_stack(opts, stack)
            require_loopback(base)
        return asyncio.run(run_load(base, token, opts))


if __name__ == "__main__":
    sys.exit(main())
