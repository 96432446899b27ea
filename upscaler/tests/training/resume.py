"""Test support for exact resume: the same run straight through, and stopped, saved and resumed."""

from __future__ import annotations

import torch


def straight_and_resumed(trainer_class, config, tmp_path, *, steps_before_save: int):
    """(straight, resumed): `config` run to its end in one go, and run again with a stop after
    `steps_before_save` steps, a checkpoint, and a new trainer resuming from it."""
    straight = trainer_class(tmp_path / "straight", config)
    straight.run(show_progress=False)
    first = trainer_class(tmp_path / "resumed", config)
    for _ in range(steps_before_save):
        first.step()
    first.save()
    resumed = trainer_class(tmp_path / "resumed", config)
    resumed.run(show_progress=False)
    return straight, resumed


def assert_same_weights(a: torch.nn.Module, b: torch.nn.Module) -> None:
    theirs = b.state_dict()
    for key, value in a.state_dict().items():
        assert torch.equal(value, theirs[key]), key
