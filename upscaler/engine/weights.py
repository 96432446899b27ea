"""Weight files: our safetensors + JSON metadata format, strict loading, and third-party files.

Our files are `<name>-x<scale>.safetensors`; the safetensors header's `__metadata__` holds one
key, "srsite", whose value is a JSON object:

    format_version  1
    name            model family, e.g. "srresnet" or "srgan" (scales of a family share a name)
    architecture    "SRResNet" (tensors in the trainable form, batch norm unfolded) or "SPAN"
                    (tensors in the fused inference form: plain 3×3 convs, no training branches)
    hyperparameters SRResNetConfig or SPANConfig fields (scale, n_blocks, n_channels, ...)
    scale           2 | 3 | 4 | 8
    description, training_data, evaluation (table of metrics), licence, created (ISO date)
    label           optional, for people ("Faithful"); without it the registry's built-in
                    label of the name is shown (registry.LABELS), or the name
    sha256          of the tensors (names, dtypes, shapes, bytes in name order): a corrupt or
                    edited file fails to load

Reading metadata is torch-free (the header is JSON after an 8-byte length); torch is imported
only to save or load tensors. Third-party .pth/.safetensors files go through spandrel: .pth via
torch.load(weights_only=True), never a full unpickler; TorchScript is refused.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import re
import struct
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from upscaler.engine.errors import WeightsError

if TYPE_CHECKING:
    import torch
    from torch import nn

METADATA_KEY = "srsite"
FORMAT_VERSION = 1
ARCHITECTURES = ("SRResNet", "SPAN")
NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
#: A safetensors header larger than this is not a weights file we want to parse.
MAX_HEADER_BYTES = 16 * 1024 * 1024
THIRD_PARTY_SUFFIXES = (".pth", ".safetensors")


def read_safetensors_header(path: str | os.PathLike) -> dict[str, Any]:
    """The JSON header of a safetensors file (tensor table + "__metadata__"), without torch."""
    try:
        with open(path, "rb") as fh:
            prefix = fh.read(8)
            if len(prefix) != 8:
                raise WeightsError(f"{path}: too short to be a safetensors file")
            (length,) = struct.unpack("<Q", prefix)
            if not 2 <= length <= MAX_HEADER_BYTES:
                raise WeightsError(f"{path}: not a safetensors file (header length {length})")
            header = json.loads(fh.read(length))
    except OSError as exc:
        raise WeightsError(f"cannot read weights file {path}: {exc.strerror or exc}") from exc
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise WeightsError(f"{path}: not a safetensors file (unreadable header)") from exc
    if not isinstance(header, dict):
        raise WeightsError(f"{path}: not a safetensors file (header is not an object)")
    return header


def read_metadata(path: str | os.PathLike) -> dict[str, Any] | None:
    """Our metadata of a safetensors file, or None if it is not one of ours. Torch-free."""
    raw = (read_safetensors_header(path).get("__metadata__") or {}).get(METADATA_KEY)
    if raw is None:
        return None
    try:
        metadata = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise WeightsError(f"{path}: metadata is not valid JSON") from exc
    _check_metadata(metadata, path)
    return metadata


def _check_metadata(metadata: Any, path: Any) -> None:
    if not isinstance(metadata, dict):
        raise WeightsError(f"{path}: metadata must be a JSON object")
    missing = [k for k in ("name", "architecture", "hyperparameters", "scale") if k not in metadata]
    if missing:
        raise WeightsError(f"{path}: metadata lacks {', '.join(missing)}")
    if metadata["architecture"] not in ARCHITECTURES:
        raise WeightsError(f"{path}: unknown architecture {metadata['architecture']!r}")
    if not NAME_PATTERN.match(str(metadata["name"])):
        raise WeightsError(f"{path}: invalid model name {metadata['name']!r}")
    if metadata.get("format_version", FORMAT_VERSION) > FORMAT_VERSION:
        raise WeightsError(f"{path}: written by a newer format version {metadata['format_version']}")


def tensors_sha256(state_dict: dict[str, torch.Tensor]) -> str:
    """Digest of names, dtypes, shapes and bytes, in name order (independent of file layout)."""
    import torch

    digest = hashlib.sha256()
    for key in sorted(state_dict):
        tensor = state_dict[key].detach().cpu().contiguous()
        digest.update(f"{key}|{tensor.dtype}|{tuple(tensor.shape)}\n".encode())
        digest.update(tensor.reshape(-1).view(torch.uint8).numpy().data)
    return digest.hexdigest()


def _stored_form(model: nn.Module) -> tuple[str, nn.Module]:
    """(architecture name, the module whose state_dict is stored) for a model we ship.

    An SRResNet is stored as trained (batch norm unfolded, so the file stays the trainable form);
    a SPAN in its served form, fused, so that loading needs no training branches. The caller's
    model is never changed.
    """
    from upscaler.engine.archs import SPAN, SRResNet

    if isinstance(model, SRResNet):
        return "SRResNet", model
    if isinstance(model, SPAN):
        return "SPAN", model if model.is_fused else copy.deepcopy(model).fuse()
    raise WeightsError(f"save_weights stores SRResNet and SPAN models, not {type(model).__name__}")


def save_weights(path: str | os.PathLike, model: nn.Module, metadata: dict[str, Any] | None = None) -> Path:
    """Write an SRResNet's or a SPAN's weights with metadata, atomically. Returns the path written.

    architecture, hyperparameters and scale come from the model; `metadata` adds name,
    description, training_data, evaluation, licence (and may not contradict the model).
    """
    from safetensors.torch import save_file

    architecture, model = _stored_form(model)
    path = Path(path)
    config = model.config
    derived = {"architecture": architecture, "hyperparameters": config.to_dict(), "scale": config.scale}
    metadata = dict(metadata or {})
    for key, value in derived.items():
        if key in metadata and metadata[key] != value:
            raise WeightsError(f"metadata {key}={metadata[key]!r} contradicts the model ({value!r})")
    state_dict = {k: v.detach().cpu().float().contiguous() for k, v in model.state_dict().items()}
    default_name = re.sub(rf"-x{config.scale}$", "", path.name.removesuffix(".safetensors"))
    metadata = {
        "format_version": FORMAT_VERSION,
        "name": default_name,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        **metadata,
        **derived,
        "sha256": tensors_sha256(state_dict),
    }
    _check_metadata(metadata, path)
    try:
        encoded = json.dumps(metadata, sort_keys=True)
    except TypeError as exc:
        raise WeightsError(f"metadata is not JSON-serialisable: {exc}") from exc
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        save_file(state_dict, tmp, metadata={"format": "pt", METADATA_KEY: encoded})
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def load_weights(path: str | os.PathLike) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """(state_dict, metadata) of one of our files; checks metadata and the tensors' sha256."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    metadata = read_metadata(path)
    if metadata is None:
        raise WeightsError(f"{path}: no srsite metadata; third-party files must be registered")
    try:
        state_dict = load_file(str(path), device="cpu")
    except (SafetensorError, OSError, ValueError) as exc:
        raise WeightsError(f"{path}: corrupt safetensors file ({exc})") from exc
    expected = metadata.get("sha256")
    if expected and tensors_sha256(state_dict) != expected:
        raise WeightsError(f"{path}: tensors do not match the sha256 in the metadata (corrupt file?)")
    return state_dict, metadata


def load_state_dict_strict(model: nn.Module, state_dict: dict[str, torch.Tensor], *, source: Any) -> None:
    """load_state_dict(strict=True), but a mismatch names every key in a WeightsError."""
    expected = model.state_dict()
    missing = sorted(set(expected) - set(state_dict))
    unexpected = sorted(set(state_dict) - set(expected))
    shapes = [
        f"{k} (file {tuple(state_dict[k].shape)}, model {tuple(expected[k].shape)})"
        for k in sorted(set(expected) & set(state_dict))
        if state_dict[k].shape != expected[k].shape
    ]
    problems = []
    if missing:
        problems.append(f"missing keys: {', '.join(missing)}")
    if unexpected:
        problems.append(f"unexpected keys: {', '.join(unexpected)}")
    if shapes:
        problems.append(f"shape mismatch: {', '.join(shapes)}")
    if problems:
        raise WeightsError(f"{source} does not fit {type(model).__name__}: " + "; ".join(problems))
    model.load_state_dict(state_dict, strict=True)


def build_generator(metadata: dict[str, Any], *, source: Any) -> nn.Module:
    """The untrained network a file's metadata describes, in the form its tensors are stored in:
    SRResNet(config), or SPAN(config, fused=True)."""
    from upscaler.engine.archs import SPAN, SPANConfig, SRResNet, SRResNetConfig

    architecture = metadata["architecture"]
    config_class = SPANConfig if architecture == "SPAN" else SRResNetConfig
    try:
        config = config_class.from_dict(metadata["hyperparameters"])
    except (TypeError, ValueError) as exc:
        raise WeightsError(f"{source}: bad hyper-parameters ({exc})") from exc
    if config.scale != metadata["scale"]:
        raise WeightsError(f"{source}: scale {metadata['scale']} disagrees with hyper-parameters")
    return SPAN(config, fused=True) if architecture == "SPAN" else SRResNet(config)


def load_generator(path: str | os.PathLike) -> tuple[nn.Module, dict[str, Any]]:
    """Build the generator (SRResNet or SPAN) a weights file describes and load it strictly (on
    CPU, fp32)."""
    state_dict, metadata = load_weights(path)
    model = build_generator(metadata, source=path)
    load_state_dict_strict(model, state_dict, source=path)
    return model.eval(), metadata


# -- third-party files (spandrel) -------------------------------------------------------------


def load_third_party(path: str | os.PathLike) -> Any:
    """A spandrel ImageModelDescriptor for a .pth / .safetensors file, loaded safely on CPU.

    Run it by calling the descriptor (`descriptor(x)`), never `descriptor.model`: the call pads to
    the architecture's size requirements, applies its call_fn, crops and clamps.
    """
    import torch

    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in THIRD_PARTY_SUFFIXES:
        raise WeightsError(f"{path.name}: only {' and '.join(THIRD_PARTY_SUFFIXES)} files are accepted")
    try:
        if suffix == ".pth":
            # weights_only=True: tensors and plain containers only, no arbitrary code.
            state_dict = torch.load(path, map_location="cpu", weights_only=True)
        else:
            from safetensors.torch import load_file

            state_dict = load_file(str(path), device="cpu")
    except Exception as exc:  # pickle, zip and safetensors errors have no common base
        raise WeightsError(f"{path.name}: not a loadable weights file ({type(exc).__name__}: {exc})") from exc
    if not isinstance(state_dict, dict):
        raise WeightsError(f"{path.name}: does not contain a state dict")

    from spandrel import ImageModelDescriptor, ModelLoader, UnsupportedModelError, canonicalize_state_dict

    try:
        descriptor = ModelLoader(device="cpu").load_from_state_dict(canonicalize_state_dict(state_dict))
    except UnsupportedModelError as exc:
        raise WeightsError(f"{path.name}: unknown architecture (spandrel cannot identify it)") from exc
    except Exception as exc:
        raise WeightsError(f"{path.name}: architecture detected but loading failed ({exc})") from exc
    if not isinstance(descriptor, ImageModelDescriptor):
        raise WeightsError(f"{path.name}: not an image-to-image model")
    if descriptor.purpose != "SR" or descriptor.scale < 2:
        raise WeightsError(f"{path.name}: a {descriptor.purpose} model, not a super-resolution one")
    if descriptor.input_channels != 3 or descriptor.output_channels != 3:
        raise WeightsError(f"{path.name}: expects {descriptor.input_channels} channels; only RGB models are supported")
    return descriptor.eval()


def file_sha256(path: str | os.PathLike) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
