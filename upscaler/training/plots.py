"""Training curves as a PNG: loss and validation PSNR against iterations."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display on servers
import matplotlib.pyplot as plt

#: The GAN trainer's loss terms, plotted one by one when a history has them.
GAN_TERMS = ("content", "perceptual", "adversarial", "d_loss")


def plot_curves(history: dict, path: Path, *, title: str = "") -> None:
    fig, (ax_loss, ax_psnr) = plt.subplots(1, 2, figsize=(10, 3.6))
    train, val = history.get("train", []), history.get("val", [])
    iters = [p["iter"] for p in train]
    if train and all(term in train[0] for term in GAN_TERMS):
        for term in GAN_TERMS:
            ax_loss.plot(iters, [p[term] for p in train], lw=0.8, label=term)
        ax_loss.legend(fontsize=7)
        ax_loss.set(ylabel="loss terms")
    elif train:
        ax_loss.plot(iters, [p["loss"] for p in train], lw=0.8)
        ax_loss.set(ylabel="Charbonnier loss")
    if train:
        ax_loss.set_yscale("log")
    ax_loss.set(xlabel="iteration", title=f"{title} training loss")
    if val:
        ax_psnr.plot([p["iter"] for p in val], [p["psnr"] for p in val], marker="o", ms=3)
        if all("detail" in p for p in val):
            # The detail ratio is what a GAN run moves; PSNR alone would only show it falling.
            ax_detail = ax_psnr.twinx()
            ax_detail.plot([p["iter"] for p in val], [p["detail"] for p in val], color="tab:orange",
                           marker="s", ms=3, lw=0.8)
            ax_detail.set_ylabel("detail ratio (orange)")
    ax_psnr.set(xlabel="iteration", ylabel="Y-PSNR (dB)", title="held-out validation")
    for ax in (ax_loss, ax_psnr):
        ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_sweep(histories: dict[str, dict], path: Path) -> None:
    """Held-out PSNR against CPU-seconds for each candidate of a size sweep."""
    fig, ax = plt.subplots(figsize=(6, 4))
    for name, history in histories.items():
        val = history.get("val", [])
        ax.plot([p["cpu_s"] / 60 for p in val], [p["psnr"] for p in val], marker="o", ms=3, label=name)
    ax.set(xlabel="training CPU-minutes", ylabel="validation Y-PSNR (dB)", title="generator size sweep")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
