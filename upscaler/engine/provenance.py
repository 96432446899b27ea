"""What an uploaded file has been through, read from the file itself: a JPEG's quality (from its
quantisation tables), whether a WebP is lossy, and how noisy the pixels are. The service uses it
to pick a model per image: lossy or noisy inputs go to the photo model (trained on real-world
degradations), clean lossless ones to the clean model (trained on bicubic downscaling).

Pure Pillow + numpy, bounded in time: the JPEG answer needs only the header; the noise estimate
reads at most a NOISE_CROP² window.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
from PIL import Image

#: libjpeg's base luminance table (ITU T.81 annex K), natural order: what `quality` scales.
_BASE_LUMA = np.array([
    16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55,
    14, 13, 16, 24, 40, 57, 69, 56, 14, 17, 22, 29, 51, 87, 80, 62,
    18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92,
    49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99,
], dtype=np.float64)

#: Above this estimated quality a JPEG keeps almost everything (blocks below one level of error).
NEAR_LOSSLESS_QUALITY = 95
#: Estimated noise (8-bit levels) above which a lossless image counts as noisy. Measured on 146
#: training images shrunk ×2 and ×4 (never the benchmarks), clean and with Gaussian noise added:
#: share above the threshold at 3.0 / 3.5 / 4.0: clean 10% / 6% / 4% (texture with no flat block
#: at all), σ 3 34% / 16% / 12%, σ 5 99% / 99% / 82%, σ 8 all. 3.5 sends visible noise to the
#: photo model and keeps all but a few clean images on the clean one (a photo model gives up
#: PSNR on clean input: the automatic choice may lose at most 0.1 dB there).
NOISY_SIGMA = 3.5
#: Block size and percentile of the noise estimate (see noise_sigma).
NOISE_BLOCK = 8
NOISE_PERCENTILE = 5
#: The noise estimate looks at most at this centre window (pixels per side).
NOISE_CROP = 1024


def libjpeg_table(quality: int) -> np.ndarray:
    """The luminance table libjpeg (and Pillow) writes at `quality` 1-100."""
    quality = min(100, max(1, int(quality)))
    scale = 5000 / quality if quality < 50 else 200 - 2 * quality
    return np.clip(np.floor((_BASE_LUMA * scale + 50) / 100), 1, 255)


def jpeg_quality(tables: dict[int, list[int]]) -> int | None:
    """The libjpeg quality whose luminance table is nearest (in log ratio) to this file's; phones
    and editors that use their own tables get the closest equivalent."""
    luma = tables.get(0)
    if luma is None or len(luma) != 64:
        return None
    actual = np.log(np.asarray(luma, dtype=np.float64).clip(1, None))
    errors = [np.abs(np.log(libjpeg_table(q)) - actual).mean() for q in range(1, 101)]
    return int(np.argmin(errors)) + 1


def noise_sigma(luma: np.ndarray) -> float:
    """Noise deviation in 8-bit levels, after Immerkær (1996): a Laplacian-difference kernel
    cancels smooth structure; its mean absolute response, scaled to a Gaussian σ, is taken per
    NOISE_BLOCK² block and read at a low percentile, so it comes from the flattest blocks, where
    only noise answers (texture answers too, and would pass for noise in a whole-image mean)."""
    y = luma.astype(np.float64)
    response = np.abs(
        y[:-2, :-2] - 2 * y[:-2, 1:-1] + y[:-2, 2:]
        - 2 * y[1:-1, :-2] + 4 * y[1:-1, 1:-1] - 2 * y[1:-1, 2:]
        + y[2:, :-2] - 2 * y[2:, 1:-1] + y[2:, 2:]
    )
    b = NOISE_BLOCK
    h, w = (response.shape[0] // b) * b, (response.shape[1] // b) * b
    if h == 0 or w == 0:
        return 0.0
    blocks = response[:h, :w].reshape(h // b, b, w // b, b).mean(axis=(1, 3))
    return float(np.sqrt(np.pi / 2) * np.percentile(blocks, NOISE_PERCENTILE) / 6)


@dataclass(frozen=True)
class Provenance:
    format: str
    lossy: bool
    quality: int | None  # JPEG only
    noise: float | None  # 8-bit levels, lossless images only (None: not measurable)

    @property
    def degraded(self) -> bool:
        """Lossy (below near-lossless quality) or noisy: the photo model's kind of input."""
        if self.lossy:
            return self.quality is None or self.quality < NEAR_LOSSLESS_QUALITY
        return self.noise is not None and self.noise > NOISY_SIGMA

    @property
    def summary(self) -> str:
        """A phrase for people: "JPEG, quality ≈ 72", "PNG, clean", "PNG, noisy (σ ≈ 4.1)"."""
        if self.format == "JPEG" and self.quality is not None:
            return f"JPEG, quality ≈ {self.quality}"
        if self.lossy:
            return f"{self.format}, lossy"
        if self.noise is None:
            return f"{self.format}, lossless"
        if self.noise > NOISY_SIGMA:
            return f"{self.format}, noisy (σ ≈ {self.noise:.1f})"
        return f"{self.format}, clean"


def _webp_is_lossy(data: bytes) -> bool:
    # RIFF....WEBP then the first chunk: "VP8 " lossy, "VP8L" lossless, "VP8X" extended (whose
    # image chunk follows; ALPH + VP8 is lossy).
    return b"VP8 " in data[12:4096] and b"VP8L" not in data[12:32]


def _centre_luma(img: Image.Image) -> np.ndarray | None:
    """The centre window's luma, or None for a mode Pillow cannot convert to it (LAB TIFF: the
    reader accepts it through its own path)."""
    w, h = img.size
    left, top = max(0, (w - NOISE_CROP) // 2), max(0, (h - NOISE_CROP) // 2)
    window = img.crop((left, top, min(w, left + NOISE_CROP), min(h, top + NOISE_CROP)))
    try:
        return np.asarray(window.convert("L"))
    except ValueError:
        return None


def read_provenance(data: bytes) -> Provenance:
    """Provenance of an encoded image (bytes of a file the engine's reader already accepted)."""
    with Image.open(io.BytesIO(data)) as img:
        fmt = img.format or "unknown"
        if fmt == "JPEG":
            return Provenance(fmt, lossy=True, quality=jpeg_quality(getattr(img, "quantization", {}) or {}),
                              noise=None)
        if fmt == "WEBP" and _webp_is_lossy(data):
            return Provenance(fmt, lossy=True, quality=None, noise=None)
        img.seek(0)
        luma = _centre_luma(img)
        return Provenance(fmt, lossy=False, quality=None, noise=None if luma is None else noise_sigma(luma))


@dataclass(frozen=True)
class ModelChoice:
    name: str
    #: Why, for people: "JPEG, quality ≈ 72: photo".
    reason: str


def choose_model(provenance: Provenance, *, clean: str, photo: str | None) -> ModelChoice:
    """The automatic choice when a request names no model: degraded inputs (lossy, or noisy) go
    to `photo` (None when no photo model offers the scale), everything else to `clean`."""
    if provenance.degraded and photo:
        return ModelChoice(photo, f"{provenance.summary}: {photo}")
    if provenance.degraded:
        return ModelChoice(clean, f"{provenance.summary}: {clean} (no photo model at this scale)")
    return ModelChoice(clean, f"{provenance.summary}: {clean}")
