"""Property-based fuzzing of the decode path: whatever bytes arrive, `read_image` returns a
SourceImage in a working mode or raises one of the engine's typed errors, never anything else
(an untyped exception there would be a 500 for the uploader and an "internal error" job)."""

from __future__ import annotations

import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from upscaler.engine import EngineError, UnsupportedImageError, read_image
from upscaler.engine.imageio import WORKING_MODES

# A small budget so that a mutated header claiming a huge size is refused before decoding.
MAX_PIXELS = 256 * 256
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning:PIL.TiffImagePlugin")

FUZZ = settings(
    max_examples=400, deadline=2000, derandomize=True, database=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def _seed(fmt: str, mode: str, **options) -> bytes:
    image = Image.new(mode, (13, 7))
    image.putdata([(i * 37) % 256 if mode in ("L", "P") else tuple((i * k) % 256 for k in (3, 5, 7, 11)[: len(mode)])
                   for i in range(13 * 7)])
    buf = io.BytesIO()
    image.save(buf, fmt, **options)
    return buf.getvalue()


SEEDS = [
    _seed("PNG", "RGB"), _seed("PNG", "RGBA"), _seed("PNG", "P"), _seed("PNG", "L"),
    _seed("JPEG", "RGB"), _seed("JPEG", "CMYK"), _seed("JPEG", "RGB", progressive=True),
    _seed("GIF", "P"), _seed("WEBP", "RGB"), _seed("WEBP", "RGBA", lossless=True),
    _seed("BMP", "RGB"), _seed("TIFF", "RGB", compression="tiff_lzw"), _seed("TIFF", "CMYK"),
]
#: Formats Pillow decodes that the service refuses (engine.config.INPUT_FORMATS): fuzzed too, so
#: a mutated header cannot talk its way into one of their decoders.
def _plain(fmt: str, mode: str) -> bytes:
    buf = io.BytesIO()
    Image.new(mode, (13, 7), 1).save(buf, fmt)
    return buf.getvalue()


REFUSED_SEEDS = [
    _seed("ICO", "RGBA"), _seed("PPM", "RGB"), _seed("TGA", "RGB"), _seed("PCX", "RGB"), _plain("XBM", "1"),
    _seed("SGI", "RGB"), _seed("DDS", "RGBA"), _seed("IM", "RGB"), _plain("MSP", "1"), _seed("QOI", "RGB"),
    b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 13 7\n",
]


@st.composite
def mutated_images(draw) -> bytes:
    data = bytearray(draw(st.sampled_from(SEEDS + REFUSED_SEEDS)))
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(["flip", "truncate", "insert", "delete", "overwrite"]))
        at = draw(st.integers(0, max(0, len(data) - 1)))
        if kind == "flip" and data:
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif kind == "truncate":
            del data[at:]
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=16))
        elif kind == "delete":
            del data[at : at + draw(st.integers(1, 16))]
        else:
            chunk = draw(st.binary(min_size=1, max_size=8))
            data[at : at + len(chunk)] = chunk
    return bytes(data)


def decode_or_typed_error(data: bytes) -> None:
    try:
        source = read_image(data, max_pixels=MAX_PIXELS)
    except EngineError as exc:
        assert str(exc)  # a message fit for the uploader
        return
    assert source.image.mode in WORKING_MODES
    assert source.width * source.height <= MAX_PIXELS
    assert source.image.size == (source.width, source.height)


def test_every_seed_decodes():
    for data in SEEDS:
        assert read_image(data, max_pixels=MAX_PIXELS).width == 13


@pytest.mark.parametrize("data", REFUSED_SEEDS, ids=lambda d: d[:4].hex())
def test_formats_outside_the_allowlist_never_reach_a_decoder(data):
    with pytest.raises(UnsupportedImageError, match="PNG, JPEG, WebP, TIFF, BMP or GIF"):
        read_image(data, max_pixels=MAX_PIXELS)


@FUZZ
@given(st.binary(max_size=2048))
def test_arbitrary_bytes_give_a_typed_error_or_an_image(data):
    decode_or_typed_error(data)


@FUZZ
@given(st.sampled_from([b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF89a", b"RIFF\x00\x00\x00\x00WEBP",
                        b"BM", b"II*\x00", b"MM\x00*", b"P6\n"]),
       st.binary(max_size=512))
def test_magic_numbers_followed_by_garbage(magic, tail):
    decode_or_typed_error(magic + tail)


@FUZZ
@given(mutated_images())
def test_mutated_valid_images_give_a_typed_error_or_an_image(data):
    decode_or_typed_error(data)


@pytest.mark.parametrize("seed", range(len(SEEDS)))
def test_every_truncation_of_every_seed(seed):
    data = SEEDS[seed]
    for end in range(0, len(data), max(1, len(data) // 64)):
        decode_or_typed_error(data[:end])


def test_found_by_fuzzing_a_palette_png_without_its_palette():
    # Colour type 3 (palette) with no PLTE chunk: Pillow leaves img.palette None.
    data = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\r\x00\x00\x00\x07\x01\x03\x00\x00\x00\xe9\xbeUY"
            b"\x00\x00\x00\x13IDATx\x9cc\xa8\xff\xc1\xf8\xff'\x13\x03\x032\x02\x00=T\x03{iCH\xd2"
            b"\x00\x00\x00\x00IEND\xaeB`\x82")
    with pytest.raises(EngineError, match="palette"):
        read_image(data)


def test_found_by_fuzzing_a_tiff_whose_second_page_makes_pillow_raise_type_error():
    # One flipped bit in the CMYK TIFF seed corrupts the IFD after the first: counting frames
    # walked into it (TypeError "Missing dimensions", reported as a corrupt file). Frames are no
    # longer counted, so the intact first page is what the uploader gets, and the note says so.
    data = bytearray(SEEDS[12])
    data[130] ^= 1
    source = read_image(bytes(data))
    assert source.width == 13 and any("first frame" in note for note in source.notes)
