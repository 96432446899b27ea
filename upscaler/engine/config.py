"""EngineConfig: every knob of the engine in one frozen dataclass (built by engine_provider.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

#: The only formats the reader decodes (Pillow's names → file name extensions): what the upload
#: page advertises. Every other Pillow plugin stays unreachable from an upload: EPS would hand the
#: file to Ghostscript, ICO/ICNS decode whole embedded images before any size check, and rarely
#: used decoders are attack surface without a user.
INPUT_FORMATS = {
    "PNG": ("png",), "JPEG": ("jpg", "jpeg"), "WEBP": ("webp",), "TIFF": ("tif", "tiff"),
    "BMP": ("bmp",), "GIF": ("gif",),
}


def format_display_name(name: str) -> str:
    """How people write a Pillow format name ("WEBP" → "WebP")."""
    return "WebP" if name == "WEBP" else name


def input_formats_text() -> str:
    """The formats the reader decodes, for people: "PNG, JPEG, WebP, TIFF, BMP or GIF"."""
    *rest, last = (format_display_name(name) for name in INPUT_FORMATS)
    return f"{', '.join(rest)} or {last}"

#: The scales every part of the service offers (each model lists the ones it has).
SUPPORTED_SCALES = (2, 3, 4, 8)

#: The engine's own folder of shipped weight files, so that the engine (and its CLI and bench) finds
#: them without the Django project around it.
PACKAGE_WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"

#: 4096² input: enough for photos; x2 of it is the largest output we allow by default.
DEFAULT_MAX_INPUT_PIXELS = 4096 * 4096
#: 8192² output = 64 MP, 192 MiB as 8-bit RGB; a 2048² input at x4 fits exactly.
DEFAULT_MAX_OUTPUT_PIXELS = 8192 * 8192
#: Margin of LR context around each tile. It must cover the network's receptive-field radius
#: for tiled output to equal whole-image output. For our own architectures the engine knows that
#: radius exactly (`receptive_radius` of SRResNetConfig and SPANConfig: 40 LR px for SRResNet-16,
#: 20 for SPAN-6) and uses it instead, so this value only applies to third-party architectures,
#: whose reach we do not know; 40 covers the effective reach of ESRGAN-class models in practice.
DEFAULT_TILE_OVERLAP = 40

DEVICES_HELP = '"auto", "cpu", "cuda" or "cuda:N"'
PRECISIONS = ("auto", "fp32", "fp16", "bf16")


@dataclass(frozen=True)
class EngineConfig:
    #: Directories scanned for weight files; the first one also receives registered models
    #: unless third_party_dir is set.
    weights_dirs: tuple[Path, ...] = field(default_factory=lambda: (PACKAGE_WEIGHTS_DIR,))
    device: str = "auto"
    #: Core size of a tile in input (LR) pixels, before the overlap margin; 0 = whole image.
    tile_size: int = 256
    #: Context margin for third-party models (ours use their exact receptive-field radius).
    tile_overlap: int = DEFAULT_TILE_OVERLAP
    #: "auto" = bf16 where supported, else fp16, on CUDA; on the CPU bf16 if it has AVX-512 BF16
    #: or AMX, else fp32 (emulated bf16 is far slower than fp32). Bad reduced-precision output
    #: is recomputed in fp32 (device.run_guarded).
    precision: str = "auto"
    max_input_pixels: int = DEFAULT_MAX_INPUT_PIXELS
    max_output_pixels: int = DEFAULT_MAX_OUTPUT_PIXELS
    #: torch intra-op threads; None leaves torch's default (one per physical core).
    threads: int | None = None
    #: On out-of-memory the tile size halves down to this, then EngineOutOfMemoryError.
    min_tile_size: int = 32
    #: Where third-party models registered by an admin live (also scanned by the registry).
    third_party_dir: Path | None = None
    #: Let glibc keep large freed blocks for reuse (optimize.tune_allocator): ~10% faster tiles
    #: (fewer page faults) but the heap fragments: 2048² x4 then exceeds 2 GiB peak RSS. Off by
    #: default; process-wide when on.
    tune_allocator: bool = False

    def __post_init__(self) -> None:
        dirs = self.weights_dirs
        if isinstance(dirs, (str, Path)):
            dirs = (dirs,)
        object.__setattr__(self, "weights_dirs", tuple(Path(d) for d in dirs))
        if self.third_party_dir is not None:
            object.__setattr__(self, "third_party_dir", Path(self.third_party_dir))
        device = self.device
        if not (device in ("auto", "cpu", "cuda") or (device.startswith("cuda:") and device[5:].isdigit())):
            raise ValueError(f"device must be {DEVICES_HELP}, got {device!r}")
        if self.precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {PRECISIONS}, got {self.precision!r}")
        if self.tile_size < 0 or self.tile_overlap < 0:
            raise ValueError("tile_size and tile_overlap must be >= 0")
        if self.min_tile_size < 1:
            raise ValueError("min_tile_size must be >= 1")
        if self.max_input_pixels < 1 or self.max_output_pixels < 1:
            raise ValueError("pixel budgets must be positive")
        if self.threads is not None and self.threads < 1:
            raise ValueError("threads must be None or >= 1")

    @property
    def all_weights_dirs(self) -> tuple[Path, ...]:
        extra = (self.third_party_dir,) if self.third_party_dir is not None else ()
        return tuple(dict.fromkeys(self.weights_dirs + extra))
