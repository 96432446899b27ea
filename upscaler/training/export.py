"""Turn a training run into a shipped model: EMA weights + metadata (+ evaluation) as safetensors."""

from __future__ import annotations

import json
from pathlib import Path

from upscaler.engine.archs import SPAN
from upscaler.engine.weights import save_weights
from upscaler.training.checkpoint import checkpoint_upscale, model_from_checkpoint, total_cpu_seconds
from upscaler.training.evaluate import bicubic_upscale, evaluate, markdown_table, table_as_metadata
from upscaler.training.validation import best_val_psnr

TRAINING_DATA = ("T91 (Yang et al. 2010) + BSD200 (BSDS300 train split), every 20th image held out "
                 "for validation; LR by Pillow bicubic (antialiased) downscaling")
LICENCE = ("Weights trained by the srsite project from scratch. The training images (T91, BSDS300) "
           "are distributed for non-commercial research use; treat the weights the same way.")
DESCRIPTIONS = {
    "srresnet": "SRResNet-family generator trained for PSNR (Charbonnier loss): faithful, smooth detail.",
    "srgan": "SRGAN generator fine-tuned with an adversarial + discriminator-feature (SRPGAN) loss: "
             "sharper textures, lower PSNR; may invent detail.",
    "span": "SPAN (swift parameter-free attention network) trained for PSNR (Charbonnier loss): "
            "all of its work at low resolution, so several times cheaper per pixel than SRResNet.",
    "photo": "Trained for PSNR on synthetic real-world degradations (blur, resizing, noise, JPEG): "
             "for JPEGs and noisy photos; removes blocks and noise instead of enlarging them.",
    "photo-sharp": "The photo model fine-tuned adversarially (U-Net discriminator, LDL artifact "
                   "suppression): sharper, may invent detail.",
}


def export_run(run_dir: Path, out_path: Path, *, family: str, evaluate_benchmarks: bool = True) -> dict:
    """Write the run's EMA generator to `out_path`; returns the metadata written.

    A SPAN is fused first: the benchmark table then measures the very network the file serves.
    """
    model, checkpoint = model_from_checkpoint(Path(run_dir) / "checkpoint.pt")
    if isinstance(model, SPAN):
        model = model.fuse()
    scale = model.config.scale
    history = json.loads(checkpoint["history"])
    metadata = {
        "name": family,
        # The registry prefers PSNR models as the default; GAN models are opt-in.
        "objective": "perceptual" if "discriminator" in checkpoint else "psnr",
        "description": DESCRIPTIONS.get(family, ""),
        "training_data": TRAINING_DATA,
        "licence": LICENCE,
        "training": {
            "iterations": checkpoint["iteration"],
            "planned_iterations": checkpoint["train_config"]["iterations"],
            "cpu_hours": round(checkpoint["cpu_seconds"] / 3600, 2),
            # Including the runs it was grown or fine-tuned from: what these weights cost.
            "cpu_hours_total": round(total_cpu_seconds(checkpoint) / 3600, 2),
            "config": checkpoint["train_config"],
            "best_val_psnr": best_val_psnr(history),
            # The last held-out figures (with the detail ratio): what a GAN run ended at.
            "final_val": history["val"][-1] if history.get("val") else None,
            "data_fingerprint": checkpoint["data_fingerprint"],
            # Every parameter of the degradation chain the LR came from (None: Pillow bicubic).
            "degradation_settings": checkpoint.get("degradation_settings"),
        },
    }
    if evaluate_benchmarks:
        methods = {f"{family}-x{scale} (ours)": checkpoint_upscale(model),
                   "bicubic (ours, Pillow)": bicubic_upscale(scale)}
        table = evaluate(methods, scale)
        metadata["evaluation"] = table_as_metadata(table)
        metadata["evaluation_markdown"] = markdown_table(table, scale)
        if checkpoint["train_config"].get("degradation", "bicubic") != "bicubic":
            # A model for real-world inputs is also measured on them (issue 14's fixed degradations).
            for degradation in ("jpeg75", "real"):
                degraded = evaluate(methods, scale, degradation=degradation)
                metadata[f"evaluation_{degradation}"] = table_as_metadata(degraded)
                metadata["evaluation_markdown"] += "\n" + markdown_table(degraded, scale, degradation=degradation)
    save_weights(out_path, model, metadata)
    return metadata
