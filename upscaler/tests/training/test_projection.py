import math

import pytest

from upscaler.tests.training.test_train import tiny_config
from upscaler.training.projection import fit_log_hours, parse_point, project
from upscaler.training.train import Trainer


def test_fit_recovers_a_known_log_line():
    # 30 dB at 1 CPU-hour, +0.25 dB per doubling.
    points = [(h, 30 + 0.25 * math.log2(h)) for h in (0.5, 1, 2, 8)]
    fit = fit_log_hours(points)
    assert fit.db_per_doubling == pytest.approx(0.25)
    assert fit.psnr_at(4) == pytest.approx(30.5)
    assert fit.hours_for_gain(2, 0.5) == pytest.approx(8)


def test_fit_needs_two_lengths_and_a_rising_line_to_project():
    with pytest.raises(ValueError):
        fit_log_hours([(1.0, 30.0), (1.0, 30.2)])
    assert fit_log_hours([(1, 30.0), (2, 29.9)]).hours_for_gain(2, 0.1) == math.inf


def test_unfinished_runs_are_listed_but_not_fitted(tmp_path, synthetic_train_root):
    Trainer(tmp_path / "done", tiny_config(synthetic_train_root, iterations=12)).run(show_progress=False)
    part = Trainer(tmp_path / "part", tiny_config(synthetic_train_root, iterations=12))
    for _ in range(5):
        part.step()
    part.history["val"].append({"iter": 5, "psnr": 20.0, "cpu_s": 1.0})
    part.save()
    table = project([tmp_path / "done", tmp_path / "part"], {"x": 1.0})
    assert "| part |" in table and "not fitted" in table
    assert "no fit" in table  # one finished run is not a curve


def test_points_given_by_hand_count_as_finished():
    point = parse_point("sweep b8c48=0.17:31.9")
    assert (point.name, point.cpu_hours, point.val_psnr, point.finished) == ("sweep b8c48", 0.17, 31.9, True)
    table = project([], {"half a dB": 0.5}, [point, parse_point("long=0.68:32.4")])
    assert "+0.250 dB per doubling" in table  # 0.5 dB over two doublings
    assert "about 2.7 CPU-hours" in table  # 0.68 h · 2^(0.5/0.25)
    with pytest.raises(ValueError):
        parse_point("0.17:31.9")


def test_runs_of_different_scales_are_not_mixed(tmp_path, synthetic_train_root):
    Trainer(tmp_path / "x2", tiny_config(synthetic_train_root, iterations=12)).run(show_progress=False)
    Trainer(tmp_path / "x4", tiny_config(synthetic_train_root, iterations=12, scale=4)).run(show_progress=False)
    with pytest.raises(ValueError, match="different scales"):
        project([tmp_path / "x2", tmp_path / "x4"], {})


def test_a_falling_line_projects_nothing():
    table = project([], {"x": 0.5}, [parse_point("a=1:30.0"), parse_point("b=2:29.9")])
    assert "does not rise" in table and "CPU-hours on this machine" not in table
