"""Tile plans cover the image exactly once; tiled output equals whole-image output."""

import numpy as np
import pytest
import torch
from PIL import Image

from upscaler.engine import EngineConfig, load_upscaler, read_image
from upscaler.engine.archs import SRResNetConfig
from upscaler.engine.tiling import blend_tiles, plan_tiles

from .conftest import encode, gradient_rgb, make_tiny_span, make_tiny_srresnet, to_u8


@pytest.mark.parametrize(
    ("height", "width", "tile", "overlap"),
    [(1, 1, 4, 2), (29, 37, 8, 3), (64, 64, 64, 10), (50, 7, 0, 5), (100, 33, 16, 40)],
)
def test_plan_covers_every_pixel_exactly_once(height, width, tile, overlap):
    plan = plan_tiles(height, width, tile_size=tile, overlap=overlap, scale=3)
    hits = np.zeros((height, width), int)
    for t in plan.tiles:
        top, left, bottom, right = t.core
        hits[top:bottom, left:right] += 1
        assert bottom - top <= (tile or height) and right - left <= (tile or width)
        c_top, c_left, c_bottom, c_right = t.context
        assert 0 <= c_top <= max(0, top - overlap) and min(height, bottom + overlap) <= c_bottom <= height
        assert 0 <= c_left <= max(0, left - overlap) and min(width, right + overlap) <= c_right <= width
    assert (hits == 1).all()
    assert len({(t.context[2] - t.context[0], t.context[3] - t.context[1]) for t in plan.tiles}) == 1


def test_blend_of_identity_tiles_reconstructs_the_upscaled_image():
    rng = np.random.default_rng(0)
    image = rng.random((23, 31, 2)).astype(np.float32)
    plan = plan_tiles(23, 31, tile_size=7, overlap=2, scale=2)
    whole = image.repeat(2, 0).repeat(2, 1)
    outputs = (whole[t.context[0] * 2 : t.context[2] * 2, t.context[1] * 2 : t.context[3] * 2] for t in plan.tiles)
    assert np.array_equal(blend_tiles(plan, outputs), whole)


def test_blend_rejects_a_missing_tile():
    plan = plan_tiles(10, 10, tile_size=4, overlap=1, scale=1)
    with pytest.raises(ValueError):
        blend_tiles(plan, [np.zeros((6, 6, 3))])


@pytest.mark.parametrize("config", [SRResNetConfig(n_channels=4), SRResNetConfig(scale=3, n_blocks=2, n_channels=4),
                                    SRResNetConfig(scale=8, n_blocks=1, n_channels=4, norm="none")])
def test_receptive_field_radius_matches_the_network(config):
    """The analytic radius is exactly how far a change in the input reaches (measured by gradient)."""
    from upscaler.engine.archs import SRResNet

    if config.n_blocks == 16:
        assert config.receptive_radius == 40  # SRResNet-16: 39.5 LR px, rounded up
    torch.manual_seed(0)
    model = SRResNet(config).eval()
    size = 2 * config.receptive_radius + 9
    x = torch.rand(1, 3, size, size, requires_grad=True)
    centre = size // 2 * config.scale
    model(x)[0, :, centre, centre].sum().backward()
    rows = torch.nonzero(x.grad.abs().sum(dim=(0, 1, 3)))
    reach = max(size // 2 - int(rows.min()), int(rows.max()) - size // 2)
    assert reach <= config.receptive_radius <= reach + 1


@pytest.mark.parametrize("scale", [2, 4])
def test_tiled_equals_whole_image_within_one_level(tiny_config, scale):
    source = read_image(encode(Image.fromarray(to_u8(gradient_rgb(61, 47)))))
    dirs = tiny_config.weights_dirs
    whole = load_upscaler("tiny", scale, EngineConfig(weights_dirs=dirs, tile_size=0))
    tiled = load_upscaler("tiny", scale, EngineConfig(weights_dirs=dirs, tile_size=16, tile_overlap=0))
    # The overlap comes from the architecture, not from the config's 0.
    assert tiled.tile_overlap == make_tiny_srresnet(scale).config.receptive_radius
    calls = []
    a = np.asarray(whole(source)).astype(int)
    b = np.asarray(tiled(source, progress=lambda done, total: calls.append((done, total)))).astype(int)
    assert calls == [(i, 12) for i in range(1, 13)]  # 4 × 3 tiles of ≤ 16 px
    assert a.shape == (47 * scale, 61 * scale, 3)
    assert np.abs(a - b).max() <= 1


def test_bicubic_tiles_equal_whole_image():
    from upscaler.engine.upscaler import BICUBIC_RADIUS, BicubicBackend

    colour = gradient_rgb(40, 30).astype(np.float32)
    backend = BicubicBackend(3)
    plan = plan_tiles(30, 40, tile_size=9, overlap=BICUBIC_RADIUS, scale=3)
    tiled = blend_tiles(plan, (backend.forward(colour[t.input_slices]) for t in plan.tiles))
    assert np.abs(tiled - backend.forward(colour)).max() < 1e-5


@pytest.mark.parametrize("scale", [2, 3, 4])
def test_span_tiles_equal_its_whole_image_within_one_level(tmp_path, scale):
    from upscaler.engine import save_weights

    model = make_tiny_span(scale)
    save_weights(tmp_path / f"span-x{scale}.safetensors", model)
    source = read_image(encode(Image.fromarray(to_u8(gradient_rgb(61, 47)))))
    whole = load_upscaler("span", scale, EngineConfig(weights_dirs=(tmp_path,), tile_size=0, precision="fp32"))
    tiled = load_upscaler("span", scale, EngineConfig(weights_dirs=(tmp_path,), tile_size=16, tile_overlap=0,
                                                      precision="fp32"))
    # SPAN's exact reach (one LR pixel per 3×3 conv), not the configured 0 nor SRResNet's formula.
    assert tiled.tile_overlap == model.config.receptive_radius == 8
    a, b = np.asarray(whole(source)).astype(int), np.asarray(tiled(source)).astype(int)
    assert a.shape == (47 * scale, 61 * scale, 3) and a.std() > 0
    assert np.abs(a - b).max() <= 1
