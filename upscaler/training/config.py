"""A training run's settings (TrainConfig), and which of them a resume may change."""

from __future__ import annotations

from dataclasses import dataclass, field

from upscaler.engine.archs import ARCHITECTURES
from upscaler.engine.archs.span import SPANConfig
from upscaler.engine.archs.srresnet import SRResNetConfig
from upscaler.training import data
from upscaler.training.degradation_presets import preset
from upscaler.training.degradations import FIXED_DEGRADATIONS

#: Settings that a resumed run may change: its length and how it runs, not what it learns.
#: (A different thread count can change float summation order, so bit-exact resume assumes the
#: same count.)
RESUMABLE_CHANGES = frozenset({"iterations", "threads", "checkpoint_minutes"})


@dataclass
class TrainConfig:
    scale: int = 2
    n_blocks: int = 8
    n_channels: int = 48
    norm: str = "none"
    lr_patch: int = 32
    batch_size: int = 16
    iterations: int = 10_000
    max_lr: float = 1e-3
    pct_start: float = 0.05
    ema_decay: float = 0.999
    #: Global gradient-norm ceiling, a guard against rare spikes (typical norms measured ~1.2-1.5
    #: for 8×48 at x2); 0 disables it.
    grad_clip: float = 5.0
    seed: int = 0
    val_every: int = 500
    checkpoint_minutes: float = 5.0
    threads: int = 1  # measured: 2 threads lose badly when anything else uses a core
    channels_last: bool = True
    init_from: str | None = None  # a checkpoint to grow (smaller scale) or fine-tune (same scale) from
    train_root: str = field(default_factory=lambda: str(data.default_train_root()))
    #: "srresnet" or "span" (upscaler.engine.archs.ARCHITECTURES); norm applies to srresnet only.
    arch: str = "srresnet"
    #: How training LR is made: a preset of upscaler.training.degradations ("bicubic", "photo", ...).
    degradation: str = "bicubic"
    #: The fixed degradations held-out PSNR is measured under (comma-separated; their mean is
    #: the "psnr" that picks checkpoints): "clean" for benchmark models, "jpeg75,real" for photo ones.
    val_degradations: str = "clean"

    def __post_init__(self) -> None:
        if self.arch not in ARCHITECTURES:
            raise ValueError(f"arch must be one of {sorted(ARCHITECTURES)}, got {self.arch!r}")
        preset(self.degradation)  # fails early on an unknown name
        unknown = set(self.val_degradation_names) - set(FIXED_DEGRADATIONS)
        if unknown:
            raise ValueError(f"unknown validation degradations {sorted(unknown)}; expected {FIXED_DEGRADATIONS}")

    @property
    def val_degradation_names(self) -> tuple[str, ...]:
        return tuple(n.strip() for n in self.val_degradations.split(",") if n.strip())

    def model_config(self) -> SRResNetConfig | SPANConfig:
        if self.arch == "span":
            return SPANConfig(scale=self.scale, n_blocks=self.n_blocks, n_channels=self.n_channels)
        return SRResNetConfig(scale=self.scale, n_blocks=self.n_blocks, n_channels=self.n_channels, norm=self.norm)
