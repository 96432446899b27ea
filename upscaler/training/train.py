"""The PSNR training loop: Charbonnier loss, Adam + one-cycle, EMA, exact-resume checkpoints.

A run lives in one directory (`checkpoint.pt`, `history.json`, `curves.png`) and can be stopped
at any moment (SIGINT/SIGTERM or a time budget) and resumed later with the same numbers an
uninterrupted run would have produced.
"""

from __future__ import annotations

import json
import logging
import signal
import time
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np
import torch
from torch.optim.swa_utils import AveragedModel
from tqdm import tqdm

from upscaler.engine.archs import ARCHITECTURES
from upscaler.engine.archs.span import rescale_span
from upscaler.engine.archs.srresnet import grow_scale
from upscaler.training import data
from upscaler.training.checkpoint import (
    capture_rng,
    earlier_cpu_seconds,
    load_checkpoint,
    model_from_state,
    restore_rng,
    save_checkpoint,
    total_cpu_seconds,
)
from upscaler.training.config import RESUMABLE_CHANGES, TrainConfig
from upscaler.training.degradation_presets import preset
from upscaler.training.losses import charbonnier
from upscaler.training.validation import validate, validation_set

log = logging.getLogger(__name__)

CHECKPOINT = "checkpoint.pt"
def ema_update_fn(decay: float):
    """EMA with warm-up: the decay ramps as (1 + n) / (10 + n) up to `decay`, so the average does
    not drag the random initial weights along for thousands of iterations in a short run."""

    @torch.no_grad()
    def update(ema_params, params, num_averaged):
        n = int(num_averaged)
        d = min(decay, (1 + n) / (10 + n))
        torch._foreach_lerp_(ema_params, params, 1.0 - d)

    return update


def generator_class(arch: str) -> type[torch.nn.Module]:
    return ARCHITECTURES[arch][0]


def build_model(config: TrainConfig, source: dict | None = None) -> torch.nn.Module:
    """A fresh generator, or one grown or fine-tuned from `source`, the loaded `init_from` checkpoint."""
    torch.manual_seed(config.seed)
    model = generator_class(config.arch)(config.model_config())
    if source is not None:
        start = model_from_state(source).train()
        if start.config.scale != config.scale:
            # SRResNet grows by appending ×2 stages; SPAN keeps its LR body and starts a new tail.
            start = grow_scale(start, config.scale) if config.arch == "srresnet" else rescale_span(start, config.scale)
        if start.config != config.model_config():
            raise ValueError(f"init_from has {start.config}, incompatible with {config.model_config()}")
        model = start
    return model


class Trainer:
    """PSNR training; subclasses (the GAN trainer) add networks through the `_extra` hooks."""

    config_class: type[TrainConfig] = TrainConfig

    def __init__(self, run_dir: Path, config: TrainConfig | None = None) -> None:
        self.run_dir = Path(run_dir)
        self.run_dir.mkdir(parents=True, exist_ok=True)
        ckpt_path = self.run_dir / CHECKPOINT
        checkpoint = load_checkpoint(ckpt_path) if ckpt_path.exists() else None
        if checkpoint is not None:
            saved = self.config_class(**checkpoint["train_config"])
            if config is not None and asdict(config) != asdict(saved):
                # The run's length and how it is executed may change on resume; anything else
                # would make it a different run.
                changed = {k for k, v in asdict(config).items() if asdict(saved)[k] != v} - RESUMABLE_CHANGES
                if changed:
                    raise ValueError(f"{ckpt_path} was made with other settings: {sorted(changed)}")
                saved = replace(saved, **{k: getattr(config, k) for k in RESUMABLE_CHANGES})
            config = saved
        if config is None:
            raise FileNotFoundError(f"no checkpoint in {self.run_dir} and no configuration given")
        self.config = config
        torch.set_num_threads(config.threads)

        paths = data.list_images(Path(config.train_root))
        train_paths, val_paths = data.split_train_val(paths)
        self.data_fingerprint = data.dataset_fingerprint(paths)
        chain = preset(config.degradation)
        self.degradation_settings = chain.to_dict() if chain is not None else None
        if checkpoint is not None and checkpoint.get("degradation_settings", self.degradation_settings) != (
            self.degradation_settings
        ):
            # The run names its preset; a preset edited since would silently train on other data.
            raise ValueError(f"the {config.degradation!r} degradation preset changed since {ckpt_path} was made")
        self.val_pairs = validation_set([data.load_rgb(p) for p in val_paths], config.scale,
                                        config.val_degradation_names)
        self.sampler = data.PatchSampler(
            images=[data.load_rgb(p) for p in train_paths],
            scale=config.scale,
            lr_patch=config.lr_patch,
            batch_size=config.batch_size,
            rng=np.random.default_rng(config.seed),
            degradation=preset(config.degradation),
        )
        self.n_train, self.n_val = len(train_paths), len(val_paths)

        # The checkpoint a new run grows from: its weights, and what they cost.
        source = load_checkpoint(Path(config.init_from)) if checkpoint is None and config.init_from else None
        self.model = (build_model(config, source) if checkpoint is None
                      else generator_class(config.arch)(config.model_config()))
        if config.channels_last:
            self.model = self.model.to(memory_format=torch.channels_last)
        self.ema = AveragedModel(self.model, multi_avg_fn=ema_update_fn(config.ema_decay), use_buffers=True)
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=config.max_lr, betas=(0.9, 0.99))
        self.scheduler = self._make_scheduler()
        self.iteration = 0
        self.cpu_seconds = 0.0
        # Recorded at the start so the cost stays right when the source run trains on later.
        self.init_cpu_seconds = total_cpu_seconds(source) if source is not None else 0.0
        self.history: dict[str, list] = {"train": [], "val": []}
        self._setup_extra()
        if checkpoint is not None:
            self._restore(checkpoint)

    def _setup_extra(self) -> None:
        """Hook: build extra networks/optimisers (after the generator, before a restore)."""

    def _extra_state(self) -> dict:
        return {}

    def _restore_extra(self, ckpt: dict) -> None:
        """Hook: restore what `_extra_state` saved."""

    def _make_scheduler(self, optimizer=None, max_lr: float | None = None) -> torch.optim.lr_scheduler.OneCycleLR:
        return torch.optim.lr_scheduler.OneCycleLR(
            optimizer or self.optimizer,
            max_lr=max_lr or self.config.max_lr,
            total_steps=self.config.iterations,
            pct_start=self.config.pct_start,
            div_factor=25.0,
            final_div_factor=1e3,
        )

    def _restore_scheduler(self, scheduler, saved: dict, iteration: int) -> None:
        if saved["total_steps"] == self.config.iterations:
            scheduler.load_state_dict(saved)
        else:
            # The run's length changed: keep the position, stretch or shrink the rest.
            log.warning("schedule length changed %s -> %s", saved["total_steps"], self.config.iterations)
            scheduler.last_epoch = iteration - 1
            scheduler._step_count = iteration

    def _restore(self, ckpt: dict) -> None:
        self.model.load_state_dict(ckpt["model"], strict=True)
        self.ema.load_state_dict(ckpt["ema"], strict=True)
        self.optimizer.load_state_dict(ckpt["optimizer"])
        self._restore_scheduler(self.scheduler, ckpt["scheduler"], ckpt["iteration"])
        self.sampler.set_state(ckpt["sampler_rng"])
        restore_rng(ckpt["rng"])
        self.iteration = ckpt["iteration"]
        self.cpu_seconds = ckpt["cpu_seconds"]
        self.init_cpu_seconds = earlier_cpu_seconds(ckpt)
        self.history = json.loads(ckpt["history"])
        self._restore_extra(ckpt)

    def state(self) -> dict:
        return {
            "train_config": asdict(self.config),
            "model_config": self.config.model_config().to_dict(),
            "model": self.model.state_dict(),
            "ema": self.ema.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "scheduler": self.scheduler.state_dict(),
            "sampler_rng": self.sampler.get_state(),
            "rng": capture_rng(),
            "iteration": self.iteration,
            "cpu_seconds": self.cpu_seconds,
            "init_cpu_seconds": self.init_cpu_seconds,
            "data_fingerprint": self.data_fingerprint,
            # The degradation chain's every parameter, for the weights' metadata and resume checks.
            "degradation_settings": self.degradation_settings,
            # JSON keeps the checkpoint free of pickled Python objects.
            "history": json.dumps(self.history),
            **self._extra_state(),
        }

    def save(self) -> None:
        save_checkpoint(self.run_dir / CHECKPOINT, self.state())
        (self.run_dir / "history.json").write_text(json.dumps(self.history, indent=1))
        try:
            from upscaler.training.plots import plot_curves

            plot_curves(self.history, self.run_dir / "curves.png", title=self.run_dir.name)
        except ImportError:  # matplotlib is optional for tests
            pass

    def _batch(self) -> tuple[torch.Tensor, torch.Tensor]:
        lr_batch, hr_batch = self.sampler.sample()
        if self.config.channels_last:
            lr_batch = lr_batch.contiguous(memory_format=torch.channels_last)
            hr_batch = hr_batch.contiguous(memory_format=torch.channels_last)
        return lr_batch, hr_batch

    def _clip_gradients(self, model: torch.nn.Module) -> None:
        if self.config.grad_clip > 0:
            torch.nn.utils.clip_grad_norm_(model.parameters(), self.config.grad_clip)

    def step(self) -> float:
        lr_batch, hr_batch = self._batch()
        self.model.train()
        loss = charbonnier(self.model(lr_batch), hr_batch)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self._clip_gradients(self.model)
        self.optimizer.step()
        self.scheduler.step()
        self.ema.update_parameters(self.model)
        self.iteration += 1
        return float(loss.detach())

    def run(self, *, max_seconds: float | None = None, show_progress: bool = True) -> None:
        """Train until `iterations`, a time budget, or a signal; always leaves a checkpoint."""
        stop = {"flag": False}

        def request_stop(signum, frame):
            stop["flag"] = True

        previous = {s: signal.signal(s, request_stop) for s in (signal.SIGINT, signal.SIGTERM)}
        start_wall = last_save = time.monotonic()
        cpu_mark = time.process_time()
        window: list[float] = []
        bar = tqdm(total=self.config.iterations, initial=self.iteration, disable=not show_progress, unit="it")
        try:
            while self.iteration < self.config.iterations and not stop["flag"]:
                window.append(self.step())
                bar.update(1)
                now_cpu = time.process_time()
                self.cpu_seconds += now_cpu - cpu_mark
                cpu_mark = now_cpu
                if self.iteration % 50 == 0 or self.iteration == self.config.iterations:
                    self.history["train"].append(
                        {"iter": self.iteration, "loss": float(np.mean(window)),
                         "lr": self.scheduler.get_last_lr()[0], "cpu_s": round(self.cpu_seconds, 1),
                         **getattr(self, "last_terms", {})}
                    )
                    bar.set_postfix(loss=f"{np.mean(window):.4f}", lr=f"{self.scheduler.get_last_lr()[0]:.2e}")
                    window = []
                if self.iteration % self.config.val_every == 0 or self.iteration == self.config.iterations:
                    val = validate(self.ema.module, self.val_pairs, self.config.scale,
                                   channels_last=self.config.channels_last)
                    self.history["val"].append({"iter": self.iteration, **{k: round(v, 4) for k, v in val.items()},
                                                "cpu_s": round(self.cpu_seconds, 1)})
                    log.info("iter %d val PSNR %.3f dB, detail %.0f%%",
                             self.iteration, val["psnr"], 100 * val["detail"])
                    cpu_mark = time.process_time()  # validation is not training time
                if time.monotonic() - last_save > self.config.checkpoint_minutes * 60:
                    self.save()
                    last_save = time.monotonic()
                if max_seconds is not None and time.monotonic() - start_wall > max_seconds:
                    break
        finally:
            bar.close()
            self.save()
            for sig, handler in previous.items():
                signal.signal(sig, handler)
