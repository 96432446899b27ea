"""The engine provider's caches: the model list is scanned once and again only when a weights
folder changes; the config and everything built from it follow setting changes; reset() works."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.test import override_settings

from upscaler.engine import registry
from upscaler.integrations import engine_provider
from upscaler.tests.support.weights import write_weights_header


def register_like_the_engine(folder: Path, name: str, scale: int) -> None:
    """What engine.register_model_file leaves behind: the file, then its sidecar record."""
    (folder / f"{name}.pth").write_bytes(b"validated by spandrel at registration")
    record = {"name": name, "scale": scale, "file": f"{name}.pth", "kind": "spandrel"}
    (folder / f"{name}{registry.SIDECAR_SUFFIX}").write_text(json.dumps(record))


@pytest.fixture
def weights(settings, tmp_path) -> Path:
    folder = tmp_path / "weights"
    folder.mkdir()
    write_weights_header(folder / "tiny-x4.safetensors", "tiny", 4)
    settings.UPSCALER_WEIGHTS_DIRS = [str(folder)]
    return folder


@pytest.fixture
def header_reads(monkeypatch) -> list[Path]:
    reads: list[Path] = []
    real = registry.read_metadata

    def counting(path):
        reads.append(Path(path))
        return real(path)

    monkeypatch.setattr(registry, "read_metadata", counting)
    return reads


def names() -> list[str]:
    return [m.name for m in engine_provider.list_models()]


def test_the_model_list_is_scanned_once(weights, header_reads):
    assert names() == ["bicubic", "tiny"]
    for scale in (2, 4):
        engine_provider.default_model_name(scale)
    assert engine_provider.get_model("tiny").scales == (4,)
    assert names() == ["bicubic", "tiny"]
    # One read of the file, for the list: the default of each scale is chosen from that list.
    assert len(header_reads) == 1
    for scale in (2, 4):
        engine_provider.default_model_name(scale)
    assert len(header_reads) == 1


@pytest.mark.django_db
def test_one_upload_page_reads_each_weights_file_once(weights, header_reads, client):
    assert client.get("/").status_code == 200
    first = len(header_reads)
    assert first == 1  # the list (the default of every scale, for "Automatic", comes from it)
    assert client.get("/").status_code == 200
    assert len(header_reads) == first  # nothing changed on disk: nothing read again


def test_a_model_added_or_registered_is_listed_on_the_next_call(weights, header_reads):
    assert names() == ["bicubic", "tiny"]
    assert engine_provider.default_model_name(2) == "bicubic"
    # A training export (or a deploy) writes our weights...
    write_weights_header(weights / "tiny-x2.safetensors", "tiny", 2)
    assert engine_provider.get_model("tiny").scales == (2, 4)
    assert engine_provider.default_model_name(2) == "tiny"
    # ...an admin registers a third-party model (in this process or another one)...
    register_like_the_engine(weights, "compact", 4)
    assert names() == ["bicubic", "tiny", "compact"]
    # ...or a file goes away.
    (weights / "tiny-x2.safetensors").unlink()
    assert engine_provider.get_model("tiny").scales == (4,)


def test_a_setting_change_rebuilds_the_config_and_the_list(weights, tmp_path):
    assert engine_provider.get_engine_config().tile_size == 256
    assert names() == ["bicubic", "tiny"]
    with override_settings(UPSCALER_TILE_SIZE=64, UPSCALER_WEIGHTS_DIRS=[str(tmp_path / "none")]):
        assert engine_provider.get_engine_config().tile_size == 64
        assert names() == ["bicubic"]
    assert engine_provider.get_engine_config().tile_size == 256
    assert names() == ["bicubic", "tiny"]


def test_a_setting_change_drops_the_loaded_upscalers(settings, weights):
    upscaler = engine_provider.get_upscaler("bicubic", 2)
    assert engine_provider.get_upscaler("bicubic", 2) is upscaler
    settings.UPSCALER_TILE_OVERLAP = 8
    assert engine_provider.loaded_models() == []
    assert engine_provider.get_upscaler("bicubic", 2) is not upscaler


def test_unrelated_settings_keep_the_caches(settings, weights, header_reads):
    config = engine_provider.get_engine_config()
    names()
    reads = len(header_reads)
    settings.UPSCALER_API_PAGE_SIZE = 5
    assert engine_provider.get_engine_config() is config
    names()
    assert len(header_reads) == reads


def test_reset_forgets_everything(weights, header_reads):
    config = engine_provider.get_engine_config()
    engine_provider.get_upscaler("bicubic", 2)
    names()
    reads = len(header_reads)
    engine_provider.reset()
    assert engine_provider.loaded_models() == []
    assert engine_provider.get_engine_config() is not config
    names()
    assert len(header_reads) == reads + 1  # scanned again


def test_a_named_default_model_is_the_setting(settings, weights):
    settings.UPSCALER_DEFAULT_MODEL = "tiny"
    assert engine_provider.default_model_name(2) == "tiny"  # the caller checks the scale
    settings.UPSCALER_DEFAULT_MODEL = ""
    assert engine_provider.default_model_name(4) == "tiny"
