"""Helpers of the browser tests: the embedded site in a subprocess, Debian's chromium driven by
Playwright (never a downloaded browser), and screenshots into test-artifacts/."""

from __future__ import annotations

import io
import os
import subprocess
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from upscaler.tests.support.servers import PYTHON, ROOT, start_server, wait_http

CHROMIUM = Path(os.environ.get("SRSITE_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"


def embedded_env(data_dir: Path) -> dict:
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "UPSCALER_JOB_RUNNER",
                        "UPSCALER_JOB_BACKEND")}
    # An empty weights folder: the browser tests drive the UI with bicubic whatever trained
    # weights the repository ships (those are tested in tests/engine/test_shipped_weights.py).
    weights = data_dir / "weights"
    weights.mkdir(exist_ok=True)
    env.update({"DJANGO_SETTINGS_MODULE": "srsite.settings.dev", "UPSCALER_DATA_DIR": str(data_dir),
                "DJANGO_DEBUG": "false", "UPSCALER_WEIGHTS_DIRS": str(weights)})
    return env


def manage(data_dir: Path, *args: str, timeout: float = 300) -> str:
    done = subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=embedded_env(data_dir), check=True,
                          timeout=timeout, capture_output=True, text=True)
    return done.stdout


@contextmanager
def embedded_site(data_dir: Path):
    """`make run`'s server (dev settings: SQLite, thread runner, in-memory layer) on a free port."""
    manage(data_dir, "migrate", "--noinput", "-v0")
    log = data_dir / "server.log"
    port, server = start_server(embedded_env(data_dir), log)
    with server as proc:
        wait_http(f"http://127.0.0.1:{port}/healthz", proc, log)
        yield f"http://127.0.0.1:{port}"


@contextmanager
def chromium():
    if not os.access(CHROMIUM, os.X_OK):
        # Never skipped: `make test` installs it (apt-get install chromium).
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (make test does it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def watch_errors(page) -> list[str]:
    """Collect the page's script errors (a test asserts there are none)."""
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return errors


def screenshot(page, name: str, *, full_page: bool = True) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


def photo_bytes(width: int, height: int, seed: int = 0, noise: float = 6) -> bytes:
    """A PNG with smooth shapes and some texture (`noise`: Gaussian σ in 8-bit levels; 6 reads as
    a noisy photo to the automatic choice, 0 as a clean image), so that upscaling has something
    to show."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    r = 128 + 100 * np.sin(x / 23.0) * np.cos(y / 31.0)
    g = 128 + 90 * np.sin((x + y) / 17.0)
    b = 255 * ((x // 40 + y // 40) % 2) * 0.6 + 40
    img = np.stack([r, g, b], axis=-1) + rng.normal(0, noise, (height, width, 3))
    buf = io.BytesIO()
    Image.fromarray(np.clip(img, 0, 255).astype(np.uint8)).save(buf, "PNG")
    return buf.getvalue()
