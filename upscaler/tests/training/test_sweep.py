import pytest

from upscaler.tests.training.test_train import tiny_config
from upscaler.training.sweep import parse_candidate, run_sweep, sweep_markdown


def test_candidate_names_parse():
    assert parse_candidate("b8c48") == ("srresnet", 8, 48, "none")
    assert parse_candidate("b16c64-bn") == ("srresnet", 16, 64, "batch")
    assert parse_candidate("span-b6c48") == ("span", 6, 48, "none")
    with pytest.raises(ValueError):
        parse_candidate("8x48")


def test_each_candidate_gets_the_budget_and_a_row(tmp_path, synthetic_train_root):
    base = tiny_config(synthetic_train_root, lr_patch=6, batch_size=2)
    rows = run_sweep(base, tmp_path, cpu_budget_s=0.5, candidates=[("srresnet", 1, 4, "none"), ("span", 1, 8, "none")])
    assert [r["name"] for r in rows] == ["b1c4", "span-b1c8"]
    for row in rows:
        # One-cycle sized from the probe (at least 50 iterations), run to its end, then validated.
        assert row["iterations"] == row["planned_iterations"] >= 50
        assert 0 < row["val_psnr"] < 100
    assert (tmp_path / "sweep.png").exists()
    assert "| span-b1c8 |" in sweep_markdown(rows, 2, 0.5)
