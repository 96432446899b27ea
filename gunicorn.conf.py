"""gunicorn configuration of the web tier: `gunicorn -c gunicorn.conf.py srsite.asgi:application`.

ASGI through uvicorn workers (HTTP and websockets). Everything is read from the environment,
with defaults for one container; see the README's Production section.
"""

import multiprocessing
import os
import shutil
import tempfile

from srsite.logs import logging_from_env


def _env(name: str, default: str) -> str:
    """The variable, or the default when it is unset or empty (as in .env.example)."""
    return os.environ.get(name) or default


bind = _env("GUNICORN_BIND", "0.0.0.0:8000")
# Web processes do no inference (that is the Celery workers' job): a few per core suffice,
# and websockets are cheap inside one process.
workers = int(_env("GUNICORN_WORKERS", str(min(4, multiprocessing.cpu_count() + 1))))
# `uvicorn.workers` is deprecated in uvicorn 0.54; the class lives in the uvicorn-worker package.
worker_class = "uvicorn_worker.UvicornWorker"
# A worker silent for this long is killed and replaced (uploads are streamed to disk, jobs
# run elsewhere: requests are short).
timeout = int(_env("GUNICORN_TIMEOUT", "60"))
# On SIGTERM (a deploy, `docker compose stop`), requests in flight get this long to finish;
# compose's stop_grace_period must be longer.
graceful_timeout = int(_env("GUNICORN_GRACEFUL_TIMEOUT", "30"))
keepalive = int(_env("GUNICORN_KEEPALIVE", "5"))
# Recycle workers now and then (bounded memory growth); the jitter avoids all at once.
max_requests = int(_env("GUNICORN_MAX_REQUESTS", "2000"))
max_requests_jitter = int(_env("GUNICORN_MAX_REQUESTS_JITTER", "200"))
# Addresses of the reverse proxies whose X-Forwarded-For/-Proto are believed (the client's
# address and scheme then come from the proxy). "*" only when nothing else can reach the port.
forwarded_allow_ips = _env("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")
proxy_allow_ips = forwarded_allow_ips

# Logs: one line per request on stdout. With uvicorn workers the access lines come from the
# `uvicorn.access` logger, which gunicorn hands its access handler: in JSON they carry
# client/method/path/status fields (srsite/logs.py). gunicorn's access_log_format does not
# apply to them.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None
errorlog = "-"
# DJANGO_LOG_FORMAT / DJANGO_LOG_LEVEL, read as the Django settings read them (JSON by default:
# gunicorn serves production).
logconfig_dict = logging_from_env(default_format="json")
loglevel = logconfig_dict["root"]["level"].lower()
logconfig_dict["loggers"].update(
    {
        "gunicorn.error": {"level": loglevel.upper(), "handlers": ["console"], "propagate": False},
        # WARNING drops the access lines when GUNICORN_ACCESS_LOG is empty.
        "gunicorn.access": {"level": "INFO" if accesslog else "WARNING", "handlers": ["console"], "propagate": False},
    }
)

# Prometheus multiprocess mode: each worker writes its counters to files in this folder and a
# scrape of /metrics, whichever worker answers, sums them. It must exist and be empty at start
# (values of a previous run would be summed too), and be private to this gunicorn.
_multiproc_dir = os.environ.get("PROMETHEUS_MULTIPROC_DIR") or tempfile.mkdtemp(prefix="srsite-prometheus-")
# Set before any worker imports prometheus_client (workers inherit the environment).
os.environ["PROMETHEUS_MULTIPROC_DIR"] = _multiproc_dir


def on_starting(server):
    shutil.rmtree(_multiproc_dir, ignore_errors=True)
    os.makedirs(_multiproc_dir, exist_ok=True)


def child_exit(server, worker):
    # Live gauges of a dead worker are dropped; its counters stay in the sums (as they should).
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
