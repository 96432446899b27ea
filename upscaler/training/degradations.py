"""Synthetic real-world degradations: how an HR patch becomes the LR a phone or the web would give.

After Real-ESRGAN (Wang et al., ICCVW 2021: a *second-order* chain of blur → resize → noise → JPEG,
then a final resize, sinc and JPEG in random order) and BSRGAN (Zhang et al., ICCV 2021: the
first-order operations applied in a *shuffled* order). Written here on numpy, torch and Pillow:
JPEG goes through Pillow's libjpeg because that is the encoder our users' files come from.

Every parameter lives in one place, the presets of `degradation_presets` (`PRESETS`);
`fixed_degradation` holds the seeded evaluation degradations (`clean`, `jpeg75`, `real`). All
randomness comes from the numpy Generator passed in, so a seeded sampler replays exactly.
Images are H×W×3 float32 in [0, 1] inside the chain and uint8 at its ends. No Django.
"""

from __future__ import annotations

import io
import math

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from scipy import special

from upscaler.training.degradation_presets import BlurSettings, DegradationConfig, SimpleSettings, StageSettings

RESIZE_MODES = ("area", "bilinear", "bicubic")


# --- kernels -------------------------------------------------------------------------------------


def _covariance(sigma_x: float, sigma_y: float, theta: float) -> np.ndarray:
    rotation = np.array([[math.cos(theta), -math.sin(theta)], [math.sin(theta), math.cos(theta)]])
    return rotation @ np.diag([sigma_x**2, sigma_y**2]) @ rotation.T


def _grid(size: int) -> np.ndarray:
    """size×size×2 coordinates centred on the middle tap."""
    half = size // 2
    axis = np.arange(-half, half + 1, dtype=np.float64)
    xx, yy = np.meshgrid(axis, axis)
    return np.stack([xx, yy], axis=-1)


def blur_kernel(size: int, sigma_x: float, sigma_y: float, theta: float, *, kind: str = "gaussian",
                beta: float = 1.0) -> np.ndarray:
    """A normalised size×size kernel; `kind` is the shape of its fall-off with the Mahalanobis
    distance d² = xᵀΣ⁻¹x: gaussian exp(-d²/2), generalised exp(-(d²)^β / 2) (β < 1 heavier tails,
    β > 1 flatter top), plateau 1 / (1 + (d²)^β) (a flat top with long tails)."""
    if size % 2 == 0:
        raise ValueError(f"kernel size must be odd, got {size}")
    grid = _grid(size)
    inverse = np.linalg.inv(_covariance(sigma_x, sigma_y, theta))
    d2 = np.einsum("...i,ij,...j->...", grid, inverse, grid)
    if kind == "gaussian":
        kernel = np.exp(-0.5 * d2)
    elif kind == "generalised":
        kernel = np.exp(-0.5 * np.power(d2, beta))
    elif kind == "plateau":
        kernel = 1.0 / (1.0 + np.power(d2, beta))
    else:
        raise ValueError(f"unknown kernel kind {kind!r}")
    return (kernel / kernel.sum()).astype(np.float32)


def sinc_kernel(size: int, cutoff: float) -> np.ndarray:
    """An ideal circular low-pass (2-D sinc, J₁(ωr)·ω / 2πr) cut to size×size: the ringing and
    overshoot that sharpening and cheap resamplers leave at edges. `cutoff` ω in radians/pixel."""
    r = np.hypot(*np.moveaxis(_grid(size), -1, 0))
    with np.errstate(divide="ignore", invalid="ignore"):
        kernel = cutoff * special.j1(cutoff * r) / (2 * np.pi * r)
    kernel[size // 2, size // 2] = cutoff**2 / (4 * np.pi)  # the limit at r = 0
    return (kernel / kernel.sum()).astype(np.float32)


# --- operations (float32 H×W×3 in [0, 1]) ---------------------------------------------------------


def _to_torch(img: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(img)).permute(2, 0, 1)[None]


def _to_numpy(t: torch.Tensor) -> np.ndarray:
    return t[0].permute(1, 2, 0).contiguous().numpy()


def convolve(img: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """Filter each channel with `kernel` (reflect padding, so borders do not darken)."""
    pad = kernel.shape[0] // 2
    x = _to_torch(img)
    if pad >= min(img.shape[:2]):
        x = F.pad(x, (pad, pad, pad, pad), mode="replicate")
    else:
        x = F.pad(x, (pad, pad, pad, pad), mode="reflect")
    weight = torch.from_numpy(kernel)[None, None].expand(3, 1, *kernel.shape)
    return _to_numpy(F.conv2d(x, weight, groups=3))


def resize(img: np.ndarray, size: tuple[int, int], mode: str, *, antialias: bool = False) -> np.ndarray:
    """Resize to (height, width) with torch's area, bilinear or bicubic resampling; antialias
    widens the filter when shrinking (what Pillow and most photo software do)."""
    if mode not in RESIZE_MODES:
        raise ValueError(f"unknown resize mode {mode!r}")
    x = _to_torch(img)
    if mode == "area":
        y = F.interpolate(x, size=size, mode="area")
    else:
        y = F.interpolate(x, size=size, mode=mode, align_corners=False, antialias=antialias)
    return _to_numpy(y)


def add_gaussian_noise(img: np.ndarray, sigma: float, *, gray: bool, rng: np.random.Generator) -> np.ndarray:
    """Additive white noise of standard deviation `sigma` (in [0, 1] units); gray noise is the same
    on all three channels (luminance noise), colour noise differs per channel (chroma noise)."""
    shape = img.shape[:2] + ((1,) if gray else (3,))
    noise = rng.standard_normal(shape, dtype=np.float32) * np.float32(sigma)
    return img + noise


def add_poisson_noise(img: np.ndarray, scale: float, *, gray: bool, rng: np.random.Generator) -> np.ndarray:
    """Shot noise: counts of 255 photons per unit intensity, its deviation from the mean scaled by
    `scale` (so brighter pixels get more absolute noise, as in a sensor)."""
    levels = 255.0
    source = img.mean(axis=2, keepdims=True) if gray else img
    source = np.clip(source, 0.0, 1.0)
    counts = rng.poisson(source * levels).astype(np.float32) / levels
    return img + (counts - source) * np.float32(scale)


def to_uint8(img: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(img * 255.0), 0, 255).astype(np.uint8)


def jpeg_round_trip(img: np.ndarray, quality: int) -> np.ndarray:
    """Encode with Pillow's libjpeg at `quality` (its default 4:2:0 chroma subsampling, as phones
    and the web save) and decode again."""
    buffer = io.BytesIO()
    Image.fromarray(to_uint8(img)).save(buffer, format="JPEG", quality=int(quality))
    buffer.seek(0)
    with Image.open(buffer) as decoded:
        return np.asarray(decoded.convert("RGB"), dtype=np.float32) / 255.0


def unsharp_mask(img: np.ndarray, *, weight: float = 0.5, sigma: float = 4.0,
                 threshold: float = 10 / 255) -> np.ndarray:
    """Sharpen edges only (Real-ESRGAN's USM targets): the high-pass residual is added where it is
    larger than `threshold`, through a softened mask so flat areas keep their noise level."""
    size = 2 * math.ceil(3 * sigma) + 1
    blurred = convolve(img, blur_kernel(size, sigma, sigma, 0.0))
    residual = img - blurred
    mask = (np.abs(residual).max(axis=2, keepdims=True) > threshold).astype(np.float32)
    soft = convolve(np.repeat(mask, 3, axis=2), blur_kernel(size, sigma, sigma, 0.0))
    sharp = np.clip(img + weight * residual, 0.0, 1.0)
    return soft * sharp + (1.0 - soft) * img


# --- the random chain ------------------------------------------------------------------------------


def _uniform(rng: np.random.Generator, bounds: tuple[float, float]) -> float:
    return float(rng.uniform(bounds[0], bounds[1]))


def random_kernel(settings: BlurSettings, rng: np.random.Generator) -> np.ndarray:
    size = int(rng.choice(settings.kernel_sizes))
    if rng.random() < settings.sinc_probability:
        cutoff = _uniform(rng, (math.pi / 3, math.pi) if size < 13 else (math.pi / 5, math.pi))
        return sinc_kernel(size, cutoff)
    names = list(settings.kinds)
    odds = np.array([settings.kinds[n] for n in names], dtype=np.float64)
    name = names[int(rng.choice(len(names), p=odds / odds.sum()))]
    sigma_x = _uniform(rng, settings.sigma)
    if name.endswith("_aniso") or name == "aniso":
        sigma_y, theta = _uniform(rng, settings.sigma), _uniform(rng, (-math.pi, math.pi))
    else:
        sigma_y, theta = sigma_x, 0.0
    if name.startswith("generalised"):
        beta = _uniform(rng, settings.beta_generalised)
        return blur_kernel(size, sigma_x, sigma_y, theta, kind="generalised", beta=beta)
    if name.startswith("plateau"):
        beta = _uniform(rng, settings.beta_plateau)
        return blur_kernel(size, sigma_x, sigma_y, theta, kind="plateau", beta=beta)
    return blur_kernel(size, sigma_x, sigma_y, theta)


def _random_mode(rng: np.random.Generator) -> str:
    return RESIZE_MODES[int(rng.integers(len(RESIZE_MODES)))]


def _stage_operations(stage: StageSettings, config: DegradationConfig, base: tuple[int, int],
                      rng: np.random.Generator):
    """The stage's blur, resize and noise as closures (so BSRGAN's shuffle can reorder them)."""

    def blur(img):
        return convolve(img, random_kernel(stage.blur, rng)) if rng.random() < stage.blur.probability else img

    def resize_op(img):
        up, down, _keep = stage.resize_odds
        draw = rng.random()
        if draw < up:
            factor = _uniform(rng, (1.0, stage.resize_range[1]))
        elif draw < up + down:
            factor = _uniform(rng, (stage.resize_range[0], 1.0))
        else:
            return img
        size = (max(2, round(base[0] * factor)), max(2, round(base[1] * factor)))
        antialias = factor < 1 and rng.random() < config.antialias_probability
        return np.clip(resize(img, size, _random_mode(rng), antialias=antialias), 0.0, 1.0)

    def noise(img):
        if rng.random() >= stage.noise_probability:
            return img
        gray = rng.random() < stage.gray_noise_probability
        if rng.random() < stage.gaussian_probability:
            return np.clip(add_gaussian_noise(img, _uniform(rng, stage.gaussian_sigma) / 255, gray=gray, rng=rng), 0, 1)
        return np.clip(add_poisson_noise(img, _uniform(rng, stage.poisson_scale), gray=gray, rng=rng), 0, 1)

    return [blur, resize_op, noise]


def _jpeg(img: np.ndarray, config: DegradationConfig, rng: np.random.Generator) -> np.ndarray:
    low, high = config.jpeg_quality
    return jpeg_round_trip(img, int(rng.integers(low, high + 1)))


def degrade(hr: np.ndarray, scale: int, config: DegradationConfig, rng: np.random.Generator) -> np.ndarray:
    """HR uint8 H×W×3 (H, W multiples of `scale`) → LR uint8 (H/scale)×(W/scale)×3."""
    h, w = hr.shape[:2]
    target = (h // scale, w // scale)
    img = hr.astype(np.float32) / 255.0
    # Drawn only when the preset has a common case, so presets without one keep their streams.
    if config.simple is not None and rng.random() < config.simple.probability:
        return _degrade_simply(img, target, config.simple, rng)

    # First order: resize factors are relative to the HR size.
    operations = _stage_operations(config.first, config, (h, w), rng)
    if rng.random() < config.shuffle_probability:
        operations = [operations[i] for i in rng.permutation(len(operations))]
    for operation in operations:
        img = operation(img)
    if rng.random() < config.first.jpeg_probability:
        img = _jpeg(img, config, rng)

    # Second order, on a size around the final one (Real-ESRGAN's).
    if rng.random() < config.second_probability:
        for operation in _stage_operations(config.second, config, target, rng):
            img = operation(img)

    def final_resize_and_sinc(img):
        mode = _random_mode(rng)
        antialias = rng.random() < config.antialias_probability
        img = np.clip(resize(img, target, mode, antialias=antialias), 0, 1)
        if rng.random() < config.final_sinc_probability:
            size = int(rng.choice(config.first.blur.kernel_sizes))
            img = np.clip(convolve(img, sinc_kernel(size, _uniform(rng, config.final_sinc_cutoff))), 0, 1)
        return img

    apply_second_jpeg = rng.random() < config.second.jpeg_probability
    if rng.random() < 0.5:
        img = final_resize_and_sinc(img)
        img = _jpeg(img, config, rng) if apply_second_jpeg else img
    else:
        img = _jpeg(img, config, rng) if apply_second_jpeg else img
        img = final_resize_and_sinc(img)
    return to_uint8(img)


def _degrade_simply(img: np.ndarray, target: tuple[int, int], simple: SimpleSettings,
                    rng: np.random.Generator) -> np.ndarray:
    if rng.random() < simple.blur_probability:
        sigma = _uniform(rng, simple.blur_sigma)
        img = convolve(img, blur_kernel(2 * math.ceil(3 * sigma) + 1, sigma, sigma, 0.0))
    mode = "area" if rng.random() < 0.3 else "bicubic"
    img = np.clip(resize(img, target, mode, antialias=True), 0.0, 1.0)
    if rng.random() < simple.noise_probability:
        sigma = _uniform(rng, simple.gaussian_sigma) / 255
        img = np.clip(add_gaussian_noise(img, sigma, gray=rng.random() < 0.5, rng=rng), 0.0, 1.0)
    low, high = simple.jpeg_quality
    return to_uint8(jpeg_round_trip(img, int(rng.integers(low, high + 1))))


def bicubic_downscale(hr: np.ndarray, scale: int) -> np.ndarray:
    """H×W×3 uint8 → (H/s)×(W/s)×3 uint8 with Pillow's antialiased bicubic (H, W multiples of s):
    the benchmark papers' degradation."""
    h, w = hr.shape[:2]
    img = Image.fromarray(hr).resize((w // scale, h // scale), Image.Resampling.BICUBIC)
    return np.array(img, dtype=np.uint8)  # a writable copy: torch.from_numpy needs one


#: The evaluation's fixed degradations (issue 14): the same LR for every run and every model.
FIXED_DEGRADATIONS = ("clean", "jpeg75", "real")
FIXED_SEED = 2026


def _encode(pixels: np.ndarray, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format=fmt, **options)
    return buffer.getvalue()


def fixed_degradation_file(name: str, hr: np.ndarray, scale: int) -> bytes:
    """The LR of a fixed degradation as the file a user would upload: PNG for clean, the JPEG
    itself for jpeg75 and real (so whoever reads it sees its quantisation tables).
    clean: Pillow bicubic ÷ scale. jpeg75: that, then JPEG quality 75. real: Gaussian blur
    σ 0.8, bicubic ÷ scale, Gaussian noise σ 2/255 (seeded), JPEG quality 70."""
    if name == "clean":
        return _encode(bicubic_downscale(hr, scale), "PNG")
    if name == "jpeg75":
        return _encode(bicubic_downscale(hr, scale), "JPEG", quality=75)
    if name == "real":
        blurred = to_uint8(convolve(hr.astype(np.float32) / 255, blur_kernel(7, 0.8, 0.8, 0.0)))
        small = bicubic_downscale(blurred, scale).astype(np.float32) / 255
        noisy = add_gaussian_noise(small, 2 / 255, gray=False, rng=np.random.default_rng(FIXED_SEED))
        return _encode(to_uint8(np.clip(noisy, 0, 1)), "JPEG", quality=70)
    raise ValueError(f"unknown degradation {name!r}; expected one of {FIXED_DEGRADATIONS}")


def fixed_degradation(name: str, hr: np.ndarray, scale: int) -> np.ndarray:
    """The decoded pixels of `fixed_degradation_file`: the LR every run and model is scored on."""
    with Image.open(io.BytesIO(fixed_degradation_file(name, hr, scale))) as img:
        return np.array(img.convert("RGB"), dtype=np.uint8)
