"""The deployment files, checked by reading (no Docker engine here): .env.example names every
variable the settings read; compose.yaml's commands, config files, queues and build stages exist
in the project; the Dockerfile's shape (stages, non-root user, healthcheck, CUDA-capable torch).
And the settings package itself: what each environment's module reads, loaded in a subprocess."""

from __future__ import annotations

import ast
import json
import os
import re
import shlex
import subprocess
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.core.management import get_commands

from srsite.logs import TEXT_FORMAT
from upscaler.tests.support.servers import PYTHON

ROOT = Path(__file__).resolve().parents[2]
SETTINGS_DIR = ROOT / "srsite" / "settings"
# Settings modules that only tests load: pytest's own, and the one of the servers and workers the
# integration tests start (it reads TEST_ONLY_KNOBS). Not part of what a deployment configures.
TEST_ONLY_SETTINGS = ("test.py", "integration.py")
# Everything a deployment reads: the settings, gunicorn's config, and the log variables (srsite/logs.py
# reads them for both).
SETTINGS_FILES = [
    *sorted(p for p in SETTINGS_DIR.glob("*.py") if p.name not in TEST_ONLY_SETTINGS),
    ROOT / "gunicorn.conf.py",
    ROOT / "srsite" / "logs.py",
]
# Shortened only by the integration tests, to see crash recovery within seconds.
TEST_ONLY_KNOBS = {
    "UPSCALER_BROKER_RESTORE_SECONDS", "UPSCALER_BROKER_VISIBILITY_TIMEOUT", "UPSCALER_REAP_INTERVAL_SECONDS",
    "UPSCALER_WORKER_HEARTBEAT_SECONDS", "UPSCALER_JOB_REQUEUE_SECONDS", "UPSCALER_PROGRESS_INTERVAL",
}
# env.str("NAME", ...), env.list(\n "NAME" ...), os.environ["NAME"], os.environ.get("NAME"),
# os.getenv("NAME"), and gunicorn.conf.py's _env("NAME", ...).
READ_PATTERNS = [
    re.compile(r'\benv\.\w+\(\s*"([A-Z][A-Z0-9_]*)"'),
    re.compile(r'\bos\.environ(?:\.get|\.setdefault)?\s*[\[(]\s*"([A-Z][A-Z0-9_]*)"'),
    re.compile(r'\bos\.getenv\(\s*"([A-Z][A-Z0-9_]*)"'),
    re.compile(r'\b_env\(\s*"([A-Z][A-Z0-9_]*)"'),
]


def variables_read(paths) -> set[str]:
    names = set()
    for path in paths:
        text = path.read_text()
        for pattern in READ_PATTERNS:
            names.update(pattern.findall(text))
    return names


def env_example_names() -> set[str]:
    # "NAME=value" or a commented "# NAME=value" (infrastructure URLs have no safe default).
    return set(re.findall(r"^(?:#\s*)?([A-Z][A-Z0-9_]*)=", (ROOT / ".env.example").read_text(), re.M))


def compose() -> dict:
    return yaml.safe_load((ROOT / "compose.yaml").read_text())


def test_the_parser_finds_reads_in_every_form(tmp_path):
    sample = tmp_path / "s.py"
    sample.write_text('A = env.str("ONE")\nB = env.list(\n    "TWO", default=[])\nC = os.environ.get("THREE")\n'
                      'D = os.environ["FOUR"]\nE = _env("FIVE", "x")\nF = os.getenv("SIX")\n')
    assert variables_read([sample]) == {"ONE", "TWO", "THREE", "FOUR", "FIVE", "SIX"}


def test_env_example_lists_every_variable_the_settings_read():
    read = variables_read(SETTINGS_FILES)
    # Sanity: the parser sees the settings (multi-line calls included).
    assert {"DJANGO_SECRET_KEY", "UPSCALER_WEIGHTS_DIRS", "UPSCALER_JOB_LEASE_SECONDS",
            "AWS_STORAGE_BUCKET_NAME", "GUNICORN_WORKERS", "DJANGO_LOG_FORMAT", "UPSCALER_REDIS_PREFIX"} <= read
    missing = sorted(read - env_example_names())
    assert not missing, f".env.example lacks {missing}"


def test_env_example_lists_every_variable_compose_interpolates():
    text = (ROOT / "compose.yaml").read_text()
    # ${NAME}, ${NAME:-default}, ${NAME:?message}; $$NAME is a container-side variable.
    interpolated = set(re.findall(r"(?<!\$)\$\{([A-Z][A-Z0-9_]*)", text))
    assert "DJANGO_SECRET_KEY" in interpolated
    missing = sorted(interpolated - env_example_names())
    assert not missing, f".env.example lacks {missing}"


def _command(service: dict) -> list[str]:
    command = service.get("command", [])
    entrypoint = service.get("entrypoint", [])
    as_list = [shlex.split(part) if isinstance(part, str) else part for part in (entrypoint, command)]
    return [token for part in as_list for token in part]


def _option(args: list[str], *names: str) -> str | None:
    for i, arg in enumerate(args):
        if arg in names and i + 1 < len(args):
            return args[i + 1]
        for name in names:
            if name.startswith("--") and arg.startswith(name + "="):
                return arg.split("=", 1)[1]
    return None


def _project_services() -> dict[str, dict]:
    """Services built from this project's Dockerfile (the others run public images)."""
    return {name: svc for name, svc in compose()["services"].items() if "build" in svc}


def test_compose_has_the_production_services():
    services = compose()["services"]
    assert {"web", "worker", "webhooks", "scheduler", "migrate", "postgres", "redis", "minio",
            "createbucket"} <= set(services)
    assert set(_project_services()) == {"web", "worker", "webhooks", "scheduler", "migrate"}


@pytest.mark.parametrize("name", ["web", "worker", "webhooks", "scheduler", "migrate"])
def test_compose_commands_exist_in_the_project(name):
    args = _command(_project_services()[name])
    assert args, f"{name} has no command"
    program = args[0]
    if program == "gunicorn":
        config = _option(args, "-c", "--config")
        assert config and (ROOT / config).is_file(), f"gunicorn config {config} missing"
        app = next(a for a in args[1:] if ":" in a and not a.startswith("-"))
        module, attr = app.split(":")
        assert (ROOT / (module.replace(".", "/") + ".py")).is_file(), module
        assert re.search(rf"^{attr}\s*=", (ROOT / (module.replace(".", "/") + ".py")).read_text(), re.M)
    elif program == "celery":
        app = _option(args, "-A", "--app")
        assert (ROOT / app / "celery.py").is_file() and (ROOT / app / "__init__.py").is_file()
        assert "celery_app" in (ROOT / app / "__init__.py").read_text()
        subcommand = next(a for a in args[1:] if not a.startswith("-") and a != app)
        assert subcommand in ("worker", "beat"), subcommand
    elif program == "python":
        assert args[1] == "manage.py" and (ROOT / "manage.py").is_file()
        assert args[2] in get_commands(), f"manage.py {args[2]} is not a command"
    else:
        pytest.fail(f"{name}: unexpected program {program!r}")


def test_the_workers_consume_every_routed_queue_and_only_inference_reserves_a_gpu():
    services = compose()["services"]
    worker, webhooks = services["worker"], services["webhooks"]
    queues_of = {name: set(_option(_command(svc), "-Q", "--queues").split(","))
                 for name, svc in (("worker", worker), ("webhooks", webhooks))}
    routed = {route["queue"] for route in settings.CELERY_TASK_ROUTES.values()}
    assert routed | {settings.CELERY_TASK_DEFAULT_QUEUE} <= queues_of["worker"] | queues_of["webhooks"]
    # Webhooks (which wait on other people's servers) never share the GPU worker's one process.
    assert queues_of["worker"] == {"inference"}
    assert settings.CELERY_TASK_ROUTES["upscaler.webhook_deliver"]["queue"] in queues_of["webhooks"]
    assert "deploy" not in webhooks
    assert _option(_command(worker), "--concurrency", "-c") == "1"  # one inference owner per GPU
    devices = worker["deploy"]["resources"]["reservations"]["devices"]
    assert any("gpu" in d["capabilities"] and d["driver"] == "nvidia" for d in devices)
    # The web image's healthcheck (/healthz) would fail in a worker: it has its own.
    assert "healthcheck" in worker and "ping" in str(worker["healthcheck"]["test"])


def test_a_scheduler_runs_because_periodic_tasks_exist():
    assert settings.CELERY_BEAT_SCHEDULE
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    from srsite.celery import app

    app.loader.import_default_modules()
    assert tasks <= set(app.tasks), tasks - set(app.tasks)
    assert _command(compose()["services"]["scheduler"])[:4] == ["celery", "-A", "srsite", "beat"]


def test_compose_dependencies_wait_for_health_and_one_shots():
    services = compose()["services"]
    for name in ("web", "worker"):
        depends = services[name]["depends_on"]
        assert depends["postgres"]["condition"] == "service_healthy"
        assert depends["redis"]["condition"] == "service_healthy"
        assert depends["migrate"]["condition"] == "service_completed_successfully"
        assert depends["createbucket"]["condition"] == "service_completed_successfully"
    for name in ("postgres", "redis", "minio"):
        assert services[name]["healthcheck"]["test"], name
    for name, svc in services.items():
        for dependency in svc.get("depends_on", {}):
            assert dependency in services, f"{name} depends on unknown {dependency}"


def test_compose_build_target_is_a_dockerfile_stage():
    stages = re.findall(r"^FROM\s+\S+\s+AS\s+(\S+)", (ROOT / "Dockerfile").read_text(), re.M | re.I)
    assert len(stages) >= 2, "multi-stage build expected"
    for name, svc in _project_services().items():
        assert svc["build"]["target"] in stages, name
        assert svc["build"]["context"] == "."


def test_dockerfile_runs_as_non_root_with_a_healthcheck_and_collected_static():
    text = (ROOT / "Dockerfile").read_text()
    final = text[text.rfind("\nFROM "):]
    users = re.findall(r"^USER\s+(\S+)", final, re.M)
    assert users and users[-1] not in ("root", "0")
    assert re.search(r"^HEALTHCHECK .*\n?.*/healthz", final, re.M)
    assert "collectstatic --noinput" in final
    assert "gunicorn.conf.py" in final
    assert "FROM ${PYTHON_IMAGE}" in text and "python:3.11-slim" in text


def test_the_image_installs_the_pinned_cuda_capable_torch():
    requirements = (ROOT / "requirements.txt").read_text()
    assert re.search(r"^torch==2\.14\.1$", requirements, re.M)
    assert re.search(r"^torchvision==0\.29\.1$", requirements, re.M)
    assert "pip install -r /tmp/requirements.txt" in (ROOT / "Dockerfile").read_text()
    # No CPU-only index: PyPI's default torch wheel for Linux x86_64 is the CUDA build.
    assert "download.pytorch.org/whl/cpu" not in (ROOT / "Dockerfile").read_text() + requirements


# --- The settings package ------------------------------------------------------------------------

_SETTINGS_PROBE = (
    "import json, sys; from django.conf import settings; "
    "print(json.dumps({name: getattr(settings, name, None) for name in sys.argv[1:]}, default=str))"
)
PRODUCTION_ENV = {"DJANGO_SECRET_KEY": "x" * 50, "REDIS_URL": "redis://redis.invalid:6379/0",
                  "DATABASE_URL": "postgres://srsite@db.invalid:5432/srsite"}


def settings_of(module: str, names: list[str], **environ: str) -> dict:
    """Some settings of `srsite.settings.<module>` loaded by a fresh process in this environment
    (none of the deployment's variables inherited)."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DJANGO_", "UPSCALER_", "AWS_", "CELERY_")) and k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(DJANGO_SETTINGS_MODULE=f"srsite.settings.{module}", **environ)
    done = subprocess.run([PYTHON, "-c", _SETTINGS_PROBE, *names], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


def test_settings_modules_are_split_by_subject():
    # STYLE: a module past ~300 lines is split; base.py pulls each subject's module in.
    for path in SETTINGS_DIR.glob("*.py"):
        assert len(path.read_text().splitlines()) < 200, path.name
    base = (SETTINGS_DIR / "base.py").read_text()
    for subject in ("database", "storage", "security", "channels_celery", "upscaler", "api"):
        assert f"from .{subject} import *" in base, subject


def test_test_only_knobs_are_not_part_of_the_production_surface():
    assert not TEST_ONLY_KNOBS & variables_read(SETTINGS_FILES)
    assert not TEST_ONLY_KNOBS & env_example_names()
    assert variables_read([SETTINGS_DIR / "integration.py"]) == TEST_ONLY_KNOBS


def test_the_integration_settings_shorten_the_knobs_and_production_ignores_them():
    knobs = {"UPSCALER_BROKER_VISIBILITY_TIMEOUT": "8", "UPSCALER_BROKER_RESTORE_SECONDS": "1",
             "UPSCALER_REAP_INTERVAL_SECONDS": "2", "UPSCALER_WORKER_HEARTBEAT_SECONDS": "0.5",
             "UPSCALER_JOB_REQUEUE_SECONDS": "5", "UPSCALER_PROGRESS_INTERVAL": "0"}
    names = ["CELERY_BROKER_TRANSPORT_OPTIONS", "CELERY_BEAT_SCHEDULE", "UPSCALER_WORKER_HEARTBEAT_SECONDS",
             "UPSCALER_JOB_REQUEUE_SECONDS", "UPSCALER_PROGRESS_INTERVAL", "CELERY_TASK_TIME_LIMIT"]
    fast = settings_of("integration", names, **PRODUCTION_ENV, **knobs)
    assert fast["CELERY_BROKER_TRANSPORT_OPTIONS"] == {
        "visibility_timeout": 8, "unacked_restore_interval": 1, "unacked_restore_throttle": 1}
    assert fast["CELERY_BEAT_SCHEDULE"]["reap-stale-jobs"]["schedule"] == 2.0
    assert "purge-old-submissions" in fast["CELERY_BEAT_SCHEDULE"]
    assert (fast["UPSCALER_WORKER_HEARTBEAT_SECONDS"], fast["UPSCALER_JOB_REQUEUE_SECONDS"],
            fast["UPSCALER_PROGRESS_INTERVAL"]) == (0.5, 5, 0.0)
    production = settings_of("production", names, **PRODUCTION_ENV, **knobs)
    assert production["CELERY_BROKER_TRANSPORT_OPTIONS"] == {
        "visibility_timeout": production["CELERY_TASK_TIME_LIMIT"] + 300, "unacked_restore_interval": 1,
        "unacked_restore_throttle": 60}
    assert production["CELERY_BEAT_SCHEDULE"]["reap-stale-jobs"]["schedule"] == 60.0
    assert (production["UPSCALER_WORKER_HEARTBEAT_SECONDS"], production["UPSCALER_JOB_REQUEUE_SECONDS"],
            production["UPSCALER_PROGRESS_INTERVAL"]) == (10.0, 1800, 0.25)
    # Unset, the integration settings are production's.
    assert settings_of("integration", names, **PRODUCTION_ENV) == production


def test_the_log_variables_are_read_in_one_place():
    readers = [p for p in SETTINGS_FILES if {"DJANGO_LOG_FORMAT", "DJANGO_LOG_LEVEL"} & variables_read([p])]
    assert readers == [ROOT / "srsite" / "logs.py"]
    # Each environment's default format, and the variables over it.
    assert settings_of("dev", ["LOGGING"])["LOGGING"]["formatters"]["main"] == {"format": TEXT_FORMAT}
    production = settings_of("production", ["LOGGING"], **PRODUCTION_ENV, DJANGO_LOG_LEVEL="warning")["LOGGING"]
    assert "JsonFormatter" in production["formatters"]["main"]["()"] and production["root"]["level"] == "WARNING"
    text = settings_of("production", ["LOGGING"], **PRODUCTION_ENV, DJANGO_LOG_FORMAT="text")["LOGGING"]
    assert text["formatters"]["main"] == {"format": TEXT_FORMAT}


def test_production_leaves_djangos_secure_defaults_to_django():
    source = (SETTINGS_DIR / "production.py").read_text()
    restated = {"SECURE_CONTENT_TYPE_NOSNIFF", "SECURE_REFERRER_POLICY", "X_FRAME_OPTIONS"}
    assigned = {target.id for node in ast.walk(ast.parse(source)) if isinstance(node, ast.Assign)
                for target in node.targets if isinstance(target, ast.Name)}
    assert not restated & assigned
    values = settings_of("production", sorted(restated), **PRODUCTION_ENV)
    assert values == {"SECURE_CONTENT_TYPE_NOSNIFF": True, "SECURE_REFERRER_POLICY": "same-origin",
                      "X_FRAME_OPTIONS": "DENY"}


def test_the_redis_prefix_and_its_old_variable_name():
    names = ["UPSCALER_REDIS_PREFIX", "CHANNEL_LAYERS"]
    assert settings_of("production", names, **PRODUCTION_ENV)["UPSCALER_REDIS_PREFIX"] == "srsite"
    old = settings_of("production", names, **PRODUCTION_ENV, UPSCALER_CHANNELS_PREFIX="old")
    assert old["UPSCALER_REDIS_PREFIX"] == "old" and old["CHANNEL_LAYERS"]["default"]["CONFIG"]["prefix"] == "old"
    both = settings_of("production", names, **PRODUCTION_ENV, UPSCALER_CHANNELS_PREFIX="old",
                       UPSCALER_REDIS_PREFIX="new")
    assert both["UPSCALER_REDIS_PREFIX"] == "new" and both["CHANNEL_LAYERS"]["default"]["CONFIG"]["prefix"] == "new"


def test_the_channel_layer_outwaits_its_own_blocking_reads():
    # Its consumers wait for events with a blocking pop of brpop_timeout seconds: a read timeout
    # no longer than that (redis-py 8's default is as long) drops every websocket idle that long.
    from channels_redis.core import RedisChannelLayer

    layers = settings_of("production", ["CHANNEL_LAYERS"], **PRODUCTION_ENV)["CHANNEL_LAYERS"]
    (host,) = layers["default"]["CONFIG"]["hosts"]
    assert host["address"] == PRODUCTION_ENV["REDIS_URL"]
    assert host["socket_timeout"] > RedisChannelLayer.brpop_timeout + 5


def test_the_test_settings_make_one_scratch_folder_and_none_for_a_given_media_root(tmp_path):
    scratch, media = tmp_path / "tmp", tmp_path / "media"
    scratch.mkdir()
    loaded = settings_of("test", ["MEDIA_ROOT", "STATIC_ROOT", "UPSCALER_WEIGHTS_DIRS"], TMPDIR=str(scratch),
                         DJANGO_MEDIA_ROOT=str(media))
    assert loaded["MEDIA_ROOT"] == str(media)
    (run,) = scratch.iterdir()
    assert run.name.startswith("srsite-test-") and not (run / "media").exists()
    assert loaded["STATIC_ROOT"] == str(run / "static") and loaded["UPSCALER_WEIGHTS_DIRS"] == [str(run / "weights")]


def test_the_celery_tasks_do_not_restate_the_task_policy():
    # acks, routes, results and limits are the CELERY_* settings' (channels_celery.py), once.
    policy = {"acks_late", "reject_on_worker_lost", "ignore_result", "queue", "soft_time_limit", "time_limit"}
    tree = ast.parse((ROOT / "upscaler" / "jobs" / "tasks.py").read_text())
    decorators = [d for node in ast.walk(tree) if isinstance(node, ast.FunctionDef) for d in node.decorator_list
                  if isinstance(d, ast.Call) and getattr(d.func, "id", "") == "shared_task"]
    assert len(decorators) >= 4
    assert not policy & {keyword.arg for d in decorators for keyword in d.keywords}
    assert settings.CELERY_TASK_ACKS_LATE and settings.CELERY_TASK_REJECT_ON_WORKER_LOST
    assert settings.CELERY_TASK_IGNORE_RESULT
    assert settings.CELERY_TASK_SOFT_TIME_LIMIT < settings.CELERY_TASK_TIME_LIMIT
