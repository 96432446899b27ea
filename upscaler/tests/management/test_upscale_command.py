"""`manage.py upscale` drives the engine CLI with the settings' engine config."""

import pytest
from django.core.management import CommandError, call_command
from PIL import Image

from upscaler.tests.conftest import make_image_bytes


def test_upscale_command_writes_stem_x_scale_png(tmp_path, capsys):
    src = tmp_path / "holiday.png"
    src.write_bytes(make_image_bytes(12, 10))
    call_command("upscale", str(src), "--scale", "2", "--model", "bicubic", "--output", str(tmp_path / "out"))
    assert Image.open(tmp_path / "out" / "holiday_x2.png").size == (24, 20)


def test_upscale_command_lists_models_and_fails_on_bad_input(tmp_path, capsys):
    call_command("upscale", "--list-models")
    assert "bicubic" in capsys.readouterr().out
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"nope")
    with pytest.raises(CommandError, match="some inputs failed"):
        call_command("upscale", str(bad), "--model", "bicubic", "--output", str(tmp_path))
