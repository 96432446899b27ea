"""The deployment files, checked by reading (no Docker engine here): .env.example names every
variable the settings read; compose.yaml's commands, config files, queues and build stages exist
in the project; the Dockerfile's shape (stages, non-root user, healthcheck, CUDA-capable torch)."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.core.management import get_commands

ROOT = Path(__file__).resolve().parents[2]
SETTINGS_FILES = [*sorted((ROOT / "srsite" / "settings").glob("*.py")), ROOT / "gunicorn.conf.py"]
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
            "AWS_STORAGE_BUCKET_NAME", "GUNICORN_WORKERS"} <= read
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
    assert {"web", "worker", "scheduler", "migrate", "postgres", "redis", "minio", "createbucket"} <= set(services)
    assert set(_project_services()) == {"web", "worker", "scheduler", "migrate"}


@pytest.mark.parametrize("name", ["web", "worker", "scheduler", "migrate"])
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


def test_the_worker_consumes_every_routed_queue_and_reserves_a_gpu():
    worker = compose()["services"]["worker"]
    queues = set(_option(_command(worker), "-Q", "--queues").split(","))
    routed = {route["queue"] for route in settings.CELERY_TASK_ROUTES.values()}
    assert routed | {settings.CELERY_TASK_DEFAULT_QUEUE} <= queues
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
