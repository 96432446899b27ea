import pytest
import torch
import torch.nn.functional as F

from upscaler.engine.archs import SRGANDiscriminator, SRResNet, SRResNetConfig
from upscaler.engine.archs.srresnet import grow_scale


@pytest.mark.parametrize("scale", [2, 3, 4, 8])
@pytest.mark.parametrize("norm", ["batch", "none"])
def test_generator_output_is_scale_times_larger(scale, norm):
    torch.manual_seed(0)
    model = SRResNet(scale=scale, n_blocks=1, n_channels=8, norm=norm).eval()
    out = model(torch.rand(2, 3, 7, 5))
    assert out.shape == (2, 3, 7 * scale, 5 * scale)
    assert torch.isfinite(out).all()


def test_paper_configuration_has_the_papers_size():
    model = SRResNet(SRResNetConfig())  # 16 blocks, 64 maps, batch norm, x4
    assert len(model.body) == 16
    assert model.head[0].kernel_size == (9, 9) and model.tail.kernel_size == (9, 9)
    assert 1.5e6 < sum(p.numel() for p in model.parameters()) < 1.6e6


@pytest.mark.parametrize("bad", [dict(scale=5), dict(norm="layer"), dict(n_blocks=0)])
def test_invalid_hyper_parameters_are_refused(bad):
    with pytest.raises(ValueError):
        SRResNetConfig(**bad)


def test_config_round_trips_and_rejects_unknown_keys():
    config = SRResNetConfig(scale=2, n_blocks=3, n_channels=16, norm="none")
    assert SRResNetConfig.from_dict(config.to_dict()) == config
    with pytest.raises(ValueError, match="depth"):
        SRResNetConfig.from_dict({**config.to_dict(), "depth": 3})


def test_icnr_init_gives_equal_sub_pixels():
    torch.manual_seed(0)
    model = SRResNet(scale=2, n_blocks=1, n_channels=4, norm="none")
    stage = model.upsample[0]
    out = stage.shuffle(stage.conv(torch.rand(1, 4, 6, 6)))
    # Every 2×2 output cell is constant: no checkerboard at initialisation.
    assert torch.allclose(out[..., ::2, ::2], out[..., 1::2, 1::2])


def test_grown_stage_starts_as_nearest_upsampling():
    torch.manual_seed(0)
    small = SRResNet(scale=2, n_blocks=1, n_channels=8, norm="none").eval()
    big = grow_scale(small, 4).eval()
    x = torch.rand(1, 3, 6, 6)
    features = small.upsample(small.head(x) + small.body_norm(small.body_conv(small.body(small.head(x)))))
    assert torch.allclose(big.upsample[1](features), F.interpolate(features, scale_factor=2, mode="nearest"), atol=1e-6)
    with pytest.raises(ValueError):
        grow_scale(small, 3)


def test_discriminator_gives_one_logit_and_feature_maps_for_any_size():
    disc = SRGANDiscriminator(base_channels=8).eval()
    logits, feats = disc(torch.rand(2, 3, 40, 56), return_features=True)
    assert logits.shape == (2, 1)
    assert len(feats) == 8 and feats[-1].shape[2:] == (3, 4)


@pytest.mark.parametrize("scale", [2, 3, 4, 8])
def test_span_output_is_scale_times_larger_and_fuses_exactly(scale):
    from upscaler.engine.archs import SPAN, SPANConfig

    torch.manual_seed(0)
    model = SPAN(SPANConfig(scale=scale, n_blocks=2, n_channels=8)).eval()
    x = torch.rand(2, 3, 9, 7)
    with torch.no_grad():
        out = model(x)
        fused = SPAN(SPANConfig(scale=scale, n_blocks=2, n_channels=8))
        fused.load_state_dict(model.state_dict())
        fused.fuse().eval()
        assert fused.is_fused and all(isinstance(m, torch.nn.Conv2d) for m in (fused.head, fused.body[0].conv1))
        assert out.shape == (2, 3, 9 * scale, 7 * scale)
        assert torch.allclose(fused(x), out, atol=1e-5)
    # The served form's state_dict is what a fused-at-construction model loads.
    SPAN(SPANConfig(scale=scale, n_blocks=2, n_channels=8), fused=True).load_state_dict(fused.state_dict())


def test_span_receptive_radius_is_exact():
    from upscaler.engine.archs import SPAN, SPANConfig

    torch.manual_seed(0)
    config = SPANConfig(scale=2, n_blocks=2, n_channels=8)
    # float64: at the rim the effect has passed through eight gated convs and is tiny.
    model = SPAN(config, fused=True).double().eval()
    x = torch.rand(1, 3, 31, 31, dtype=torch.float64)
    y = x.clone()
    y[..., 15, 15] += 0.5
    with torch.no_grad():
        changed = (model(y) - model(x)).abs().amax(dim=1)[0] > 0
    rows = changed.any(dim=1).nonzero().flatten()
    r = config.receptive_radius
    assert rows.min() // 2 == 15 - r and rows.max() // 2 == 15 + r


def test_span_starts_near_nearest_neighbour_enlargement():
    from upscaler.engine.archs import SPAN

    torch.manual_seed(0)
    x = torch.rand(1, 3, 8, 8)
    with torch.no_grad():
        out = SPAN(scale=2, n_blocks=1, n_channels=8).eval()(x)
    assert (out - F.interpolate(x, scale_factor=2, mode="nearest")).abs().mean() < 0.05
