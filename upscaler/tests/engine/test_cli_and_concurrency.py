"""The CLI end to end, and concurrent calls on one Upscaler never mixing outputs."""

from concurrent.futures import ThreadPoolExecutor

import numpy as np
from PIL import Image

from upscaler.engine import load_upscaler, read_image
from upscaler.engine.cli import main

from .conftest import encode, gradient_rgb, to_u8


def test_cli_upscales_files_and_reports_failures(tmp_path, tiny_weights_dir, capsys):
    good = tmp_path / "photo.jpg"
    Image.fromarray(to_u8(gradient_rgb(30, 20))).save(good)
    bad = tmp_path / "broken.png"
    bad.write_bytes(b"nope")
    out = tmp_path / "out"
    status = main([str(good), str(bad), "--scale", "2", "--model", "tiny", "--tile", "8",
                   "--output", str(out), "--weights-dir", str(tiny_weights_dir), "--no-progress"])
    assert status == 1
    result = Image.open(out / "photo_x2.png")
    assert result.size == (60, 40)
    captured = capsys.readouterr()
    assert "broken.png: error:" in captured.err
    assert "photo_x2.png" in captured.out


def test_cli_lists_models_and_defaults_to_our_model(tmp_path, tiny_weights_dir, capsys):
    assert main(["--list-models", "--weights-dir", str(tiny_weights_dir)]) == 0
    listing = capsys.readouterr().out
    assert "bicubic" in listing and "tiny" in listing
    src = tmp_path / "a.png"
    Image.fromarray(to_u8(gradient_rgb(10, 10))).save(src)
    assert main([str(src), "--scale", "3", "-o", str(tmp_path), "--weights-dir", str(tiny_weights_dir)]) == 0
    assert "model bicubic x3" in capsys.readouterr().out  # tiny has no x3: bicubic, not a random net
    assert Image.open(tmp_path / "a_x3.png").size == (30, 30)


def test_concurrent_calls_do_not_mix(tiny_config):
    upscaler = load_upscaler("tiny", 2, tiny_config)
    sources = [read_image(encode(Image.fromarray(to_u8(gradient_rgb(33, 27, seed=i))))) for i in range(4)]
    expected = [np.asarray(upscaler(s)) for s in sources]
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda s: np.asarray(upscaler(s)), sources * 2))
    for i, result in enumerate(results):
        assert np.array_equal(result, expected[i % 4])
