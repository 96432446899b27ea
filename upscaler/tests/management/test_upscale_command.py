"""`manage.py upscale` drives the engine CLI with the settings' engine config."""

import pytest
from django.core.management import CommandError, call_command
from PIL import Image

from upscaler.tests.conftest import make_image_bytes, make_jpeg_bytes


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


def test_without_model_each_file_gets_the_services_choice_and_its_reason(tmp_path, capsys):
    clean, jpeg = tmp_path / "clean.png", tmp_path / "photo.jpg"
    clean.write_bytes(make_image_bytes(12, 10))
    jpeg.write_bytes(make_jpeg_bytes(12, 10, quality=70))
    call_command("upscale", str(clean), str(jpeg), "--scale", "2", "--output", str(tmp_path / "out"), "--no-progress")
    out = capsys.readouterr().out
    # No trained weights in the test settings: the clean model is bicubic, and there is no photo model.
    assert f"{clean}: PNG, clean: bicubic\n" in out
    assert f"{jpeg}: JPEG, quality ≈ 70: bicubic (no photo model at this scale)\n" in out
    assert Image.open(tmp_path / "out" / "photo_x2.png").size == (24, 20)


def test_without_model_a_jpeg_goes_to_the_photo_model_and_a_named_model_stays(tmp_path, weights_dir, capsys):
    from upscaler.tests.support.weights import PHOTO_TRAINING, save_tiny_model

    save_tiny_model(weights_dir, "photo", 4, **PHOTO_TRAINING)
    jpeg = tmp_path / "photo.jpg"
    jpeg.write_bytes(make_jpeg_bytes(12, 10, quality=70))
    call_command("upscale", str(jpeg), "--output", str(tmp_path / "auto"), "--no-progress")
    out = capsys.readouterr().out
    assert f"{jpeg}: JPEG, quality ≈ 70: photo\n" in out and "model photo x4" in out
    assert Image.open(tmp_path / "auto" / "photo_x4.png").size == (48, 40)
    call_command("upscale", str(jpeg), "--model", "bicubic", "--output", str(tmp_path / "named"), "--no-progress")
    out = capsys.readouterr().out
    assert "model bicubic x4" in out and "quality" not in out
