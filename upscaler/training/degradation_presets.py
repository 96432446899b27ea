"""The degradation chain's parameters, all in one place: the settings dataclasses and the named
presets a training run picks by name (TrainConfig.degradation). A run records its preset's every
value in its checkpoint and weights, and refuses to resume if the preset changed since."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, replace


@dataclass(frozen=True)
class BlurSettings:
    probability: float
    sigma: tuple[float, float]
    #: Probabilities of the kernel shapes; anisotropic ones get two sigmas and a rotation.
    kinds: dict[str, float] = field(default_factory=lambda: {
        "iso": 0.45, "aniso": 0.25, "generalised_iso": 0.12, "generalised_aniso": 0.03,
        "plateau_iso": 0.12, "plateau_aniso": 0.03})
    kernel_sizes: tuple[int, ...] = (7, 9, 11, 13, 15, 17, 19, 21)
    beta_generalised: tuple[float, float] = (0.5, 4.0)
    beta_plateau: tuple[float, float] = (1.0, 2.0)
    #: Instead of a blur, a sinc (ringing) kernel this often.
    sinc_probability: float = 0.1


@dataclass(frozen=True)
class StageSettings:
    """One order of degradation: blur, resize, noise, JPEG."""

    blur: BlurSettings
    #: Probabilities of (up, down, keep) and the range of factors drawn for up or down.
    resize_odds: tuple[float, float, float]
    resize_range: tuple[float, float]
    gaussian_probability: float  # otherwise Poisson
    gaussian_sigma: tuple[float, float]  # in 8-bit levels
    poisson_scale: tuple[float, float]
    gray_noise_probability: float
    noise_probability: float = 1.0
    jpeg_probability: float = 1.0


@dataclass(frozen=True)
class SimpleSettings:
    """The common case, drawn instead of the full chain `probability` of the time: a photo shrunk
    by software (antialiased bicubic or area, as Pillow, libvips and phones do), maybe a little
    soft or noisy, saved as JPEG."""

    probability: float
    blur_probability: float
    blur_sigma: tuple[float, float]
    noise_probability: float
    gaussian_sigma: tuple[float, float]  # in 8-bit levels
    jpeg_quality: tuple[int, int]


@dataclass(frozen=True)
class DegradationConfig:
    first: StageSettings
    second: StageSettings
    second_probability: float
    #: BSRGAN: the first stage's operations (blur, resize, noise) in a random order this often.
    shuffle_probability: float
    jpeg_quality: tuple[int, int]
    final_sinc_probability: float
    final_sinc_cutoff: tuple[float, float] = (math.pi / 3, math.pi)
    #: Sharpen the HR target by unsharp masking (for GAN fine-tunes; PSNR models keep it off).
    usm_target: bool = False
    #: Shrink with antialiasing this often (Pillow and photo software do; torch's default does not).
    antialias_probability: float = 0.5
    #: The common case, drawn before (and instead of) the full chain; None: always the full chain.
    simple: SimpleSettings | None = None

    def to_dict(self) -> dict:
        return asdict(self)


#: The photo models' chain: what phones and the web do to pictures, most of them mildly. Half the
#: patches take the common case (software downscaling, a little blur or noise, JPEG 50-95); the
#: others the full chain: light blur, a resize in any mode, mild sensor noise, sometimes an earlier
#: JPEG and a second, milder order. A JPEG always ends it (the photo model serves lossy and noisy
#: uploads). A first version without the common case (1000 iterations of SPAN x4) held 26.12 dB
#: on the held-out jpeg75/real images; see training-runs/README.md for what this one gives.
PHOTO = DegradationConfig(
    first=StageSettings(
        blur=BlurSettings(probability=0.5, sigma=(0.2, 1.5)),
        resize_odds=(0.1, 0.5, 0.4), resize_range=(0.5, 1.2),
        gaussian_probability=0.6, gaussian_sigma=(1.0, 8.0), poisson_scale=(0.05, 1.0),
        gray_noise_probability=0.4, noise_probability=0.5, jpeg_probability=0.3,
    ),
    second=StageSettings(
        blur=BlurSettings(probability=0.3, sigma=(0.2, 1.0)),
        resize_odds=(0.2, 0.3, 0.5), resize_range=(0.7, 1.2),
        gaussian_probability=0.6, gaussian_sigma=(1.0, 5.0), poisson_scale=(0.05, 0.5),
        gray_noise_probability=0.4, noise_probability=0.3,
    ),
    second_probability=0.2,
    shuffle_probability=0.2,
    jpeg_quality=(40, 95),
    final_sinc_probability=0.2,
    simple=SimpleSettings(probability=0.5, blur_probability=0.3, blur_sigma=(0.3, 1.2), noise_probability=0.4,
                          gaussian_sigma=(0.5, 4.0), jpeg_quality=(50, 95)),
)

#: Real-ESRGAN's ranges, narrowed where they go beyond what phones and the web produce (blur
#: σ ≤ 2.4 then ≤ 1.2, noise σ ≤ 15 then ≤ 10 levels, a second order half the time). Our first
#: photo run trained on it (training-runs/photo-x4-heavy): its held-out PSNR on the mild jpeg75
#: and real degradations stayed flat (26.02 → 26.00 dB over 1500 iterations, about the clean
#: model's 25.95): a PSNR model that must undo heavy damage smooths mild photos.
PHOTO_HEAVY = DegradationConfig(
    first=StageSettings(
        blur=BlurSettings(probability=0.8, sigma=(0.2, 2.4)),
        resize_odds=(0.2, 0.6, 0.2), resize_range=(0.3, 1.5),
        gaussian_probability=0.5, gaussian_sigma=(1.0, 15.0), poisson_scale=(0.05, 1.5),
        gray_noise_probability=0.4, noise_probability=0.8,
    ),
    second=StageSettings(
        blur=BlurSettings(probability=0.5, sigma=(0.2, 1.2)),
        resize_odds=(0.3, 0.4, 0.3), resize_range=(0.5, 1.2),
        gaussian_probability=0.5, gaussian_sigma=(1.0, 10.0), poisson_scale=(0.05, 1.0),
        gray_noise_probability=0.4, noise_probability=0.6,
    ),
    second_probability=0.5,
    shuffle_probability=0.3,
    jpeg_quality=(30, 95),
    final_sinc_probability=0.5,
)

#: GAN fine-tunes of the photo model learn towards unsharp-masked targets (crisper edges, no halo).
PHOTO_SHARP = replace(PHOTO, usm_target=True)

#: name → chain; "bicubic" is the benchmark degradation (no random chain at all).
PRESETS: dict[str, DegradationConfig | None] = {
    "bicubic": None, "photo": PHOTO, "photo-sharp": PHOTO_SHARP, "photo-heavy": PHOTO_HEAVY,
}


def preset(name: str) -> DegradationConfig | None:
    try:
        return PRESETS[name]
    except KeyError:
        raise ValueError(f"unknown degradation preset {name!r}; expected one of {sorted(PRESETS)}") from None
