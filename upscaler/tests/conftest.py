"""Fixtures shared by the Django-side tests: tiny images, uploads, owners, a fake upscaler."""

from __future__ import annotations

import io
import threading
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from upscaler import notifications
from upscaler.integrations import engine_provider


def make_image_bytes(width: int = 8, height: int = 6, fmt: str = "PNG", mode: str = "RGB") -> bytes:
    image = Image.new(mode, (width, height))
    # A gradient, so that resampling has something to do.
    image.putdata(
        [((x * 255) // max(1, width - 1), (y * 255) // max(1, height - 1), 128)
         for y in range(height) for x in range(width)]
    )
    buf = io.BytesIO()
    image.save(buf, fmt)
    return buf.getvalue()


def make_jpeg_bytes(width: int = 64, height: int = 48, quality: int = 70) -> bytes:
    """A JPEG at a known quality (what the automatic choice reads from its tables)."""
    buf = io.BytesIO()
    Image.open(io.BytesIO(make_image_bytes(width, height))).save(buf, "JPEG", quality=quality)
    return buf.getvalue()


@pytest.fixture
def png_bytes() -> bytes:
    return make_image_bytes()


@pytest.fixture
def make_upload():
    def _make(data: bytes | None = None, name: str = "photo.png", content_type: str = "image/png"):
        return SimpleUploadedFile(name, make_image_bytes() if data is None else data, content_type)

    return _make


# Engine and training tests (owned elsewhere) run without Django: leave them alone.
_DJANGO_FREE_DIRS = ("engine", "training")


@pytest.fixture
def media_root(settings, tmp_path) -> Path:
    root = tmp_path / "media"
    settings.MEDIA_ROOT = root
    return root


@pytest.fixture(autouse=True)
def _django_side_isolation(request):
    """Per-test media folder and a fresh engine provider for the Django-side tests."""
    if any(part in _DJANGO_FREE_DIRS for part in request.path.relative_to(Path(__file__).parent).parts[:-1]):
        yield
        return
    request.getfixturevalue("media_root")
    engine_provider.reset()
    yield
    engine_provider.reset()
    notifications.bind_event_loop(None)


@pytest.fixture
def weights_dir(settings, tmp_path) -> Path:
    """An empty weights folder in the settings; the engine provider sees files added to it."""
    folder = tmp_path / "weights"
    folder.mkdir()
    settings.UPSCALER_WEIGHTS_DIRS = [str(folder)]
    return folder


@pytest.fixture
def photo_model(weights_dir) -> Path:
    """srresnet (x2, x4) as the clean model and a `photo` model at x4 only, listed but not
    runnable (headers): use with recorded_jobs or fake_upscaler."""
    from upscaler.tests.support.weights import write_clean_and_photo_models

    write_clean_and_photo_models(weights_dir)
    return weights_dir


@pytest.fixture
def recorded_jobs(settings):
    """Jobs are recorded, not run: `.sent` (task name, kwargs), `.result_ids`, `.webhook_ids`."""
    from upscaler.tests.support.jobs import PATH, RecordingBackend

    settings.UPSCALER_JOB_BACKEND = PATH
    return RecordingBackend.reset()


@pytest.fixture
def user(db):
    return get_user_model().objects.create_user("alice", password="pw-alice-123")


@pytest.fixture
def sent_events(monkeypatch) -> list[tuple[str, dict]]:
    """Capture notifications instead of sending them to the channel layer."""
    events: list[tuple[str, dict]] = []
    monkeypatch.setattr(notifications, "group_send", lambda group, event: events.append((group, event)))
    return events


def stored_files(root: Path) -> list[str]:
    if not root.exists():
        return []
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


class FakeUpscaler:
    """Stands in for an engine Upscaler: `tiles` progress calls, with hooks between them."""

    def __init__(self, scale: int = 4, tiles: int = 4, on_tile=None, fail: Exception | None = None,
                 gate: threading.Event | None = None):
        self.name, self.scale, self.tiles = "bicubic", scale, tiles
        self.on_tile, self.fail, self.gate = on_tile, fail, gate

    def __call__(self, source, *, progress=None):
        for done in range(1, self.tiles + 1):
            if self.gate is not None:
                assert self.gate.wait(timeout=30), "test gate never opened"
            if self.on_tile is not None:
                self.on_tile(done)
            if self.fail is not None and done == self.tiles:
                raise self.fail
            if progress is not None:
                progress(done, self.tiles)
        return source.image.resize((source.width * self.scale, source.height * self.scale))


@pytest.fixture
def fake_upscaler(monkeypatch):
    """Install a FakeUpscaler for every (model, scale); returns a setter for its options."""
    holder: dict = {}

    def _install(**options) -> FakeUpscaler:
        holder["upscaler"] = FakeUpscaler(**options)
        return holder["upscaler"]

    def _get(name, scale):
        upscaler = holder.get("upscaler") or FakeUpscaler()
        upscaler.scale = scale
        return upscaler

    monkeypatch.setattr(engine_provider, "get_upscaler", _get)
    return _install
