"""The model registry: what can be served, found by scanning weight directories. Torch-free.

Three kinds of model:
- "bicubic": Pillow's bicubic interpolation, always present, honestly named (no network);
- "srresnet": our generators, `<name>-x<scale>.safetensors` files with srsite metadata, whose
  "architecture" says which network (SRResNet, also for SRGAN, or SPAN); the scales of one name
  form one model. The kind keeps its first architecture's name: the API and the time estimates
  key on it;
- "spandrel": third-party files an admin registered with `register_model_file`, which validated
  them with spandrel and wrote a `<name>.model.json` sidecar (so listing needs no torch).
A random-weight network is never a model: only files on disk are listed.

Each model has a label for people (ModelInfo.label): a "label" in its file's metadata (or in a
registration record) when there is one, else the built-in label of its name (LABELS), else
its name (third-party models, unless registered with a label).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from upscaler.engine.config import SUPPORTED_SCALES, EngineConfig
from upscaler.engine.errors import UnknownModelError, WeightsError
from upscaler.engine.weights import NAME_PATTERN, file_sha256, load_third_party, read_metadata

logger = logging.getLogger(__name__)

BICUBIC = "bicubic"
BICUBIC_SCALES = SUPPORTED_SCALES
SIDECAR_SUFFIX = ".model.json"
#: The model the automatic choice (provenance.choose_model) sends lossy or noisy uploads to,
#: when a model of this name offers the scale: one trained on real-world degradations.
PHOTO = "photo"
#: Labels for people of the models we ship or plan to, by name (what each is good at, so that
#: a user can choose without knowing the architectures).
LABELS = {
    BICUBIC: "Bicubic (baseline)",
    "srresnet": "Faithful",
    "srgan": "Sharper — may invent detail",
    PHOTO: "Photo (JPEG, noise)",
    "photo-sharp": "Photo, sharper — may invent detail",
}


@dataclass
class ModelInfo:
    name: str
    scales: tuple[int, ...]
    description: str
    kind: str  # "bicubic" | "srresnet" | "spandrel"
    #: Per-scale metadata read from the files (architecture, training data, evaluation, ...).
    metadata: dict[int, dict[str, Any]] = field(default_factory=dict)
    files: dict[int, Path] = field(default_factory=dict)

    @property
    def label(self) -> str:
        """For people: a "label" in the files' metadata (the lowest scale that has one), else the
        built-in label of the name, else the name."""
        for scale in sorted(self.metadata):
            label = self.metadata[scale].get("label")
            if isinstance(label, str) and label.strip():
                return label.strip()
        return LABELS.get(self.name, self.name)

    @property
    def evaluation(self) -> dict[int, Any]:
        """Evaluation table per scale, where the files carry one."""
        return {s: m["evaluation"] for s, m in self.metadata.items() if m.get("evaluation")}


def bicubic_info() -> ModelInfo:
    return ModelInfo(
        name=BICUBIC,
        scales=BICUBIC_SCALES,
        description="Bicubic interpolation (Pillow); no neural network, the baseline to beat",
        kind="bicubic",
    )


def list_models(config: EngineConfig | None = None) -> list[ModelInfo]:
    """bicubic, then our generators, then registered third-party models (first dir wins)."""
    config = config or EngineConfig()
    ours: dict[str, ModelInfo] = {}
    third_party: dict[str, ModelInfo] = {}
    for directory in config.all_weights_dirs:
        if not directory.is_dir():
            continue
        for path in sorted(directory.glob("*.safetensors")):
            _add_our_file(ours, path)
        for path in sorted(directory.glob(f"*{SIDECAR_SUFFIX}")):
            _add_sidecar(third_party, path)
    for name in set(ours) & set(third_party):
        logger.warning("third-party model %r hidden by our model of the same name", name)
        del third_party[name]
    return [bicubic_info(), *ours.values(), *third_party.values()]


def _add_our_file(models: dict[str, ModelInfo], path: Path) -> None:
    try:
        metadata = read_metadata(path)
    except WeightsError as exc:
        logger.warning("skipping weights file: %s", exc)
        return
    if metadata is None:
        return  # a third-party file (listed through its sidecar once registered)
    name, scale = metadata["name"], int(metadata["scale"])
    if name == BICUBIC:
        logger.warning("skipping %s: the name %r is reserved", path, name)
        return
    info = models.setdefault(
        name, ModelInfo(name=name, scales=(), description=metadata.get("description", ""), kind="srresnet")
    )
    if scale in info.files:
        logger.warning("skipping %s: %s x%d already provided by %s", path, name, scale, info.files[scale])
        return
    info.files[scale] = path
    info.metadata[scale] = metadata
    info.scales = tuple(sorted(info.files))
    if not info.description:
        info.description = metadata.get("description", "")


def _add_sidecar(models: dict[str, ModelInfo], path: Path) -> None:
    try:
        record = json.loads(path.read_text())
        name, scale = record["name"], int(record["scale"])
        weights = path.parent / record["file"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        logger.warning("skipping unreadable model record %s: %s", path, exc)
        return
    if name in models or name == BICUBIC or not weights.is_file():
        logger.warning("skipping model record %s (duplicate name or missing file)", path)
        return
    description = record.get("description") or f"{record.get('architecture', '?')} (third-party)"
    models[name] = ModelInfo(
        name=name, scales=(scale,), description=description, kind="spandrel",
        metadata={scale: record}, files={scale: weights},
    )


def find_model(name: str, scale: int, config: EngineConfig) -> ModelInfo:
    for info in list_models(config):
        if info.name == name:
            if scale not in info.scales:
                raise UnknownModelError(
                    f"Model {name!r} has no x{scale} version (available: "
                    f"{', '.join(f'x{s}' for s in info.scales)})."
                )
            return info
    raise UnknownModelError(f"No model named {name!r}.")


def register_model_file(
    src: str | os.PathLike, name: str, dest_dir: str | os.PathLike, *, description: str = "", label: str = ""
) -> ModelInfo:
    """Validate a third-party .pth/.safetensors with spandrel, then copy it in as `name` (shown
    as `label` when given, see ModelInfo.label).

    Raises WeightsError (file rejected) or ValueError (bad or taken name). Imports torch.
    """
    src, dest_dir = Path(src), Path(dest_dir)
    if not NAME_PATTERN.match(name) or name == BICUBIC:
        raise ValueError(f"invalid model name {name!r}: use lower-case letters, digits, '.', '_', '-'")
    descriptor = load_third_party(src)
    dest_dir.mkdir(parents=True, exist_ok=True)
    taken = {m.name for m in list_models(EngineConfig(weights_dirs=(dest_dir,)))}
    target = dest_dir / f"{name}{src.suffix.lower()}"
    sidecar = dest_dir / f"{name}{SIDECAR_SUFFIX}"
    if name in taken or target.exists() or sidecar.exists():
        raise ValueError(f"a model named {name!r} already exists in {dest_dir}")
    record = {
        "format_version": 1,
        "name": name,
        "kind": "spandrel",
        "file": target.name,
        "architecture": descriptor.architecture.name,
        "architecture_id": descriptor.architecture.id,
        "scale": int(descriptor.scale),
        "tags": list(descriptor.tags),
        "supports_half": bool(descriptor.supports_half),
        "supports_bfloat16": bool(descriptor.supports_bfloat16),
        "description": description,
        "source_filename": src.name,
        "sha256": file_sha256(src),
        "registered": datetime.now(UTC).isoformat(timespec="seconds"),
        **({"label": label} if label else {}),
    }
    _atomic_copy(src, target)
    _atomic_write(sidecar, json.dumps(record, indent=2, sort_keys=True))
    logger.info("registered %s as %r (%s x%d)", src, name, record["architecture"], record["scale"])
    return ModelInfo(
        name=name, scales=(record["scale"],), description=description or f"{record['architecture']} (third-party)",
        kind="spandrel", metadata={record["scale"]: record}, files={record["scale"]: target},
    )


def _atomic_copy(src: Path, dest: Path) -> None:
    fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".tmp")
    os.close(fd)
    try:
        shutil.copyfile(src, tmp)
        os.replace(tmp, dest)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _atomic_write(dest: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".tmp")
    with os.fdopen(fd, "w") as fh:
        fh.write(text)
    os.replace(tmp, dest)


def photo_model_name(models: Iterable[ModelInfo], scale: int) -> str | None:
    """The photo model's name if one of `models` is it and offers `scale`, else None (what
    provenance.choose_model takes as `photo`)."""
    return next((m.name for m in models if m.name == PHOTO and scale in m.scales), None)


def default_model_name(scale: int, config: EngineConfig | None = None) -> str:
    """Our trained generator for `scale`, else bicubic (never a random network).

    A PSNR-trained model is preferred over a perceptual (GAN) one: the default should be
    faithful, and the GAN's invented texture is something a user opts into. Among those, one
    trained on clean (bicubic) pairs comes first: a photo model is what the automatic choice picks
    for degraded files, not the clean default.
    """
    return default_model_among(list_models(config), scale)


def default_model_among(models: Iterable[ModelInfo], scale: int) -> str:
    """default_model_name's choice among models already listed (a caller's cached list)."""
    candidates = [info for info in models if info.kind == "srresnet" and scale in info.scales]
    if not candidates:
        return BICUBIC

    def rank(info: ModelInfo) -> tuple[bool, bool]:
        meta = info.metadata[scale]
        trained_on = ((meta.get("training") or {}).get("config") or {}).get("degradation", "bicubic")
        return meta.get("objective") != "psnr", trained_on != "bicubic"

    return min(candidates, key=rank).name
