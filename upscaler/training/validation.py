"""Held-out validation of a training run: the fixed degradations of the training images set
aside by data.split_train_val (never the benchmarks), scored in Y-PSNR and detail ratio."""

from __future__ import annotations

import math

import numpy as np
import torch

from upscaler.engine.metrics import detail_ratio, psnr_y
from upscaler.training import data
from upscaler.training.checkpoint import super_resolve
from upscaler.training.degradations import fixed_degradation

ValidationSet = dict[str, list[tuple[np.ndarray, np.ndarray]]]  # degradation -> [(LR, HR)]


def validation_set(images: list[np.ndarray], scale: int, degradations: tuple[str, ...]) -> ValidationSet:
    """Held-out (LR, HR) pairs under each fixed degradation, made once per run."""
    pairs: ValidationSet = {}
    for name in degradations:
        pairs[name] = []
        for hr in images:
            hr = data.crop_to_multiple(hr, scale)
            pairs[name].append((fixed_degradation(name, hr, scale), hr))
    return pairs


def validate(model: torch.nn.Module, pairs: ValidationSet, scale: int, *, channels_last: bool) -> dict:
    """Y-PSNR per degradation, their mean ("psnr") and the detail ratio over held-out training
    images (never the benchmarks)."""
    model.eval()
    result: dict[str, float] = {}
    details = []
    for name, items in pairs.items():
        scores = []
        for lr, hr in items:
            sr = super_resolve(model, lr, channels_last=channels_last)
            scores.append(psnr_y(sr, hr, border=scale))
            details.append(detail_ratio(sr, hr, border=scale))
        result[f"psnr_{name}"] = float(np.mean(scores))
    result["psnr"] = float(np.mean([result[f"psnr_{name}"] for name in pairs]))
    result["detail"] = float(np.mean(details))
    return result


def best_val_psnr(history: dict) -> float:
    vals = [v["psnr"] for v in history.get("val", [])]
    return max(vals) if vals else -math.inf
