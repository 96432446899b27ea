"""Image I/O: every mode round-trips through read → upscale → write with its metadata intact."""

import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image, ImageCms

from upscaler.engine import (
    EngineConfig,
    ImageTooLargeError,
    UnsupportedImageError,
    load_upscaler,
    read_image,
    write_image,
)

from .conftest import encode, gradient_rgb, to_u8

SRGB_ICC = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def _gray_icc() -> bytes:
    """A grey ICC profile built by hand: header + one gamma curve is all a GRAY profile needs."""
    tags = [(b"kTRC", b"curv" + b"\0" * 4 + struct.pack(">I", 1) + struct.pack(">H", 0x0233) + b"\0\0"),
            (b"wtpt", b"XYZ " + b"\0" * 4 + struct.pack(">iii", 63190, 65536, 54061))]
    offset = 128 + 4 + 12 * len(tags)
    table, data = b"", b""
    for sig, body in tags:
        table += sig + struct.pack(">II", offset + len(data), len(body))
        data += body
    size = offset + len(data)
    header = (struct.pack(">I", size) + b"\0" * 4 + b"\x02\x10\0\0" + b"mntr" + b"GRAY" + b"XYZ " + b"\0" * 12
              + b"acsp" + b"\0" * 88)
    return header + struct.pack(">I", len(tags)) + table + data


def roundtrip(data: bytes, scale: int = 2, upscaler=None, fmt: str = "PNG"):
    source = read_image(data)
    result = (upscaler or load_upscaler("bicubic", scale, EngineConfig()))(source)
    out = io.BytesIO()
    write_image(result, out, format=fmt, source=source)
    return source, result, Image.open(io.BytesIO(out.getvalue()))


RGB = to_u8(gradient_rgb())


@pytest.mark.parametrize(
    ("mode", "make", "out_mode"),
    [
        ("RGB", lambda: Image.fromarray(RGB), "RGB"),
        ("L", lambda: Image.fromarray(RGB[:, :, 0]), "L"),
        ("LA", lambda: Image.fromarray(np.dstack([RGB[:, :, 0], RGB[:, :, 1]]), "LA"), "LA"),
        ("RGBA", lambda: Image.fromarray(np.dstack([RGB, RGB[:, :, :1]]), "RGBA"), "RGBA"),
        ("P", lambda: Image.fromarray(RGB).quantize(16), "RGB"),
        ("1", lambda: Image.fromarray(RGB[:, :, 0] > 128), "L"),
        ("I;16", lambda: Image.fromarray((gradient_rgb()[:, :, 0] * 65535).astype(np.uint16)), "I;16"),
    ],
)
@pytest.mark.parametrize("network", [False, True])
def test_modes_round_trip_as_png(mode, make, out_mode, network, tiny_config):
    upscaler = load_upscaler("tiny", 2, tiny_config) if network else None
    source, result, back = roundtrip(encode(make()), upscaler=upscaler)
    assert source.mode == mode
    assert result.mode == out_mode
    assert back.mode == out_mode
    assert back.size == (source.width * 2, source.height * 2)


def test_sixteen_bit_grey_keeps_sixteen_bits():
    values = (gradient_rgb(40, 30)[:, :, 1] * 65535).astype(np.uint16)
    for fmt in ("PNG", "TIFF"):
        source, _, back = roundtrip(encode(Image.fromarray(values), fmt), scale=2, fmt=fmt)
        assert source.bit_depth == 16
        out = np.asarray(back)
        assert back.mode == "I;16" and out.dtype == np.uint16
        assert np.any(out % 257 != 0), "values were squeezed through 8 bits"
        # bicubic of a smooth gradient: the mean is preserved closely
        assert abs(out.astype(float).mean() - values.astype(float).mean()) < 300


def test_exif_orientation_is_applied_and_reset():
    pixels = np.zeros((20, 40, 3), np.uint8)
    pixels[:5, :5] = 255  # white mark at the stored top-left
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    exif[0x013B] = "Test Artist"
    data = encode(Image.fromarray(pixels), "PNG", exif=exif.tobytes())
    source, result, back = roundtrip(data)
    assert (source.width, source.height) == (20, 40)
    assert np.asarray(source.image)[:5, -5:].min() == 255  # the mark is now top-right
    assert result.size == (40, 80)
    out_exif = back.getexif()
    assert out_exif.get(0x0112, 1) == 1
    assert out_exif[0x013B] == "Test Artist"


def test_icc_profile_and_scaled_dpi_are_carried():
    data = encode(Image.fromarray(RGB), "PNG", icc_profile=SRGB_ICC, dpi=(72, 72))
    for fmt in ("PNG", "JPEG", "WEBP"):
        _, _, back = roundtrip(data, scale=4, fmt=fmt)
        assert back.info.get("icc_profile") == SRGB_ICC, fmt
        if fmt != "WEBP":  # WebP has no DPI field
            assert tuple(round(v) for v in back.info["dpi"]) == (288, 288), fmt


def test_gray_icc_stays_on_gray_and_is_dropped_when_output_becomes_rgb():
    icc = _gray_icc()
    data = encode(Image.fromarray(RGB[:, :, 0]), "PNG", icc_profile=icc)
    _, _, png = roundtrip(data)
    assert png.mode == "L" and png.info.get("icc_profile") == icc
    _, _, webp = roundtrip(data, fmt="WEBP")  # WebP stores grey as RGB: a GRAY profile would lie
    assert webp.info.get("icc_profile") is None


def test_alpha_edges_have_no_dark_fringe():
    """Red disk on transparent *black*: upscaled edge pixels must stay red, not darken."""
    yy, xx = np.mgrid[0:32, 0:32]
    alpha = (((yy - 16) ** 2 + (xx - 16) ** 2) < 100).astype(np.uint8) * 255
    rgba = np.zeros((32, 32, 4), np.uint8)
    rgba[..., 0] = np.where(alpha > 0, 220, 0)
    rgba[..., 3] = alpha
    _, result, _ = roundtrip(encode(Image.fromarray(rgba, "RGBA")), scale=4)
    out = np.asarray(result).astype(int)
    visible = out[..., 3] >= 8
    edge = visible & (out[..., 3] < 248)
    assert edge.sum() > 50
    assert np.abs(out[visible][:, 0] - 220).max() <= 2
    assert out[visible][:, 1:3].max() <= 1


def test_palette_with_transparency_becomes_rgba():
    img = Image.fromarray(RGB).quantize(8)
    img.info["transparency"] = 0
    source = read_image(encode(img, "PNG", transparency=0))
    assert source.image.mode == "RGBA" and source.has_alpha
    assert any("palette" in note for note in source.notes)


def test_cmyk_jpeg_is_converted_to_rgb():
    cmyk = Image.new("CMYK", (16, 12), (0, 255, 255, 0))  # pure red in CMYK
    source, _, back = roundtrip(encode(cmyk, "JPEG", quality=95))
    assert source.mode == "CMYK" and back.mode == "RGB"
    r, g, b = np.asarray(back).reshape(-1, 3).mean(axis=0)
    assert r > 200 and g < 60 and b < 60
    assert back.info.get("icc_profile") is None  # never a CMYK profile on an RGB image


def test_animated_gif_uses_the_first_frame_and_says_so():
    frames = [Image.new("RGB", (10, 8), (i * 80, 0, 0)) for i in range(3)]
    buf = io.BytesIO()
    frames[0].save(buf, "GIF", save_all=True, append_images=frames[1:], duration=50)
    source = read_image(buf.getvalue())
    # Frames are never counted (a TIFF of tiny pages makes counting quadratic): said, not numbered.
    assert any("animated" in note and "first frame" in note for note in source.notes)
    assert source.width == 10


def test_pixel_budget_raises_too_large():
    with pytest.raises(ImageTooLargeError, match="limit"):
        read_image(encode(Image.fromarray(RGB)), max_pixels=100)


def _png_header_only(width: int, height: int) -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 10)) + chunk(b"IEND", b"")


@pytest.mark.parametrize("side", [10_000, 30_000])  # 100 MP: Pillow warns; 900 MP: Pillow raises
def test_decompression_bombs_raise_too_large(side):
    with pytest.raises(ImageTooLargeError):
        read_image(_png_header_only(side, side), max_pixels=10**10)


@pytest.mark.parametrize(
    "data",
    [b"", b"hello, not an image", encode(Image.fromarray(RGB), "PNG")[:300],
     encode(Image.fromarray(RGB), "JPEG")[:200]],
    ids=["empty", "text", "truncated-png", "truncated-jpeg"],
)
def test_unreadable_inputs_raise_unsupported(data):
    with pytest.raises(UnsupportedImageError) as info:
        read_image(data)
    assert str(info.value)


def test_output_pixel_budget(tiny_config):
    source = read_image(encode(Image.fromarray(RGB)))
    upscaler = load_upscaler("bicubic", 8, EngineConfig(max_output_pixels=1000))
    with pytest.raises(ImageTooLargeError, match="MP"):
        upscaler(source)


def test_jpeg_output_flattens_alpha_on_white():
    rgba = np.zeros((8, 8, 4), np.uint8)  # fully transparent
    source = read_image(encode(Image.fromarray(rgba, "RGBA")))
    out = io.BytesIO()
    write_image(load_upscaler("bicubic", 2, EngineConfig())(source), out, format="jpeg", quality=90, source=source)
    back = Image.open(io.BytesIO(out.getvalue()))
    assert back.mode == "RGB" and np.asarray(back).min() > 240


def test_sixteen_bit_levels_become_eight_bit_by_rounding_to_nearest():
    from upscaler.engine.imageio import to_8bit

    levels = np.array([0, 128, 129, 385, 386, 51528, 51529, 65406, 65407, 65535], np.uint16)
    # round(v / 257), 128.5 being the first boundary; v // 257 would floor 129, 386, 51529 and 65407
    # to 0, 1, 200 and 254.
    assert to_8bit(levels).tolist() == [0, 0, 1, 1, 2, 200, 201, 254, 255, 255]
    assert to_8bit(levels).dtype == np.uint8


def test_the_writer_reduces_sixteen_bits_with_the_shared_conversion():
    from upscaler.engine.imageio import to_8bit

    level = 51529  # 200.5 levels and a bit: 201 rounded, 200 floored
    source = read_image(encode(Image.fromarray(np.full((16, 16), level, np.uint16))))
    result = load_upscaler("bicubic", 2, EngineConfig())(source)
    out = io.BytesIO()
    write_image(result, out, format="JPEG", quality=95, source=source)
    back = np.asarray(Image.open(io.BytesIO(out.getvalue())))
    assert back.min() == back.max() == to_8bit(np.array([level]))[0] == 201


def test_alpha_is_flattened_onto_white_by_one_function():
    from upscaler.engine.imageio import flatten_alpha, to_rgb8

    la = Image.fromarray(np.array([[[100, 0], [100, 255], [100, 128]]], np.uint8), "LA")
    assert flatten_alpha(la).mode == "L"
    assert np.asarray(flatten_alpha(la)).tolist() == [[255, 100, 177]]
    rgba = Image.fromarray(np.array([[[0, 0, 0, 0], [10, 20, 30, 255]]], np.uint8), "RGBA")
    assert np.asarray(flatten_alpha(rgba)).tolist() == [[[255, 255, 255], [10, 20, 30]]]
    assert np.asarray(to_rgb8(la)).tolist() == [[[255] * 3, [100] * 3, [177] * 3]]
    rgb = Image.fromarray(RGB)
    assert flatten_alpha(rgb) is rgb


def test_exif_sizes_and_resolution_follow_the_new_size():
    from PIL.ExifTags import IFD, Base

    from upscaler.engine.imageio.read import TIFF_LAYOUT_TAGS

    assert all(isinstance(tag, Base) for tag in TIFF_LAYOUT_TAGS)  # named, not numbered
    exif = Image.Exif()
    exif[Base.XResolution] = 72.0
    exif[Base.YResolution] = 72.0
    exif.get_ifd(IFD.Exif).update({Base.ExifImageWidth: 37, Base.ExifImageHeight: 29})
    _, _, back = roundtrip(encode(Image.fromarray(RGB), "PNG", exif=exif.tobytes()), scale=3)
    out = back.getexif()
    assert float(out[Base.XResolution]) == float(out[Base.YResolution]) == 216.0
    sub = out.get_ifd(IFD.Exif)
    assert (sub[Base.ExifImageWidth], sub[Base.ExifImageHeight]) == (111, 87)


def test_reading_and_writing_are_modules_of_one_package():
    from upscaler.engine import imageio
    from upscaler.engine.imageio import pixels, read, source, write

    assert imageio.read_image is read.read_image and imageio.write_image is write.write_image
    assert imageio.SourceImage is source.SourceImage and imageio.to_planes is pixels.to_planes


def _tiny_pages_tiff(pages: int) -> bytes:
    """A little-endian TIFF of `pages` 1×1 grey pages, each IFD pointing at the next (the shape
    of the review's H2 file: 40 000 pages of 4.6 MB took 25 s to count)."""
    entries = [(256, 3, 1, 1), (257, 3, 1, 1), (258, 3, 1, 8), (259, 3, 1, 1), (262, 3, 1, 1),
               (273, 4, 1, 0), (277, 3, 1, 1), (278, 3, 1, 1), (279, 4, 1, 1)]
    ifd_size = 2 + 12 * len(entries) + 4
    pixel_at = 8
    out = bytearray(b"II*\x00" + struct.pack("<I", 9) + b"\x80")
    for page in range(pages):
        start = len(out)
        next_ifd = 0 if page == pages - 1 else start + ifd_size
        out += struct.pack("<H", len(entries))
        for tag, kind, count, value in entries:
            out += struct.pack("<HHII", tag, kind, count, pixel_at if tag == 273 else value)
        out += struct.pack("<I", next_ifd)
    return bytes(out)


def test_a_many_page_tiff_is_read_without_counting_its_pages(monkeypatch):
    from PIL import TiffImagePlugin

    seeks = []
    real_seek = TiffImagePlugin.TiffImageFile._seek
    monkeypatch.setattr(TiffImagePlugin.TiffImageFile, "_seek",
                        lambda self, frame: (seeks.append(frame), real_seek(self, frame))[1])
    source = read_image(_tiny_pages_tiff(5000))
    assert (source.width, source.height) == (1, 1)
    assert any("first frame" in note for note in source.notes)
    assert max(seeks) <= 1  # the first page, and a look at whether there is a second: not 5000


def test_pillows_own_limit_is_the_service_budget_for_nested_decoders():
    from upscaler.engine.imageio.read import PILLOW_MAX_IMAGE_PIXELS

    read_image(encode(Image.fromarray(RGB), "PNG"), max_pixels=1000 * 1000)
    assert Image.MAX_IMAGE_PIXELS == 1000 * 1000
    read_image(encode(Image.fromarray(RGB), "PNG"), max_pixels=10**10)
    assert Image.MAX_IMAGE_PIXELS == PILLOW_MAX_IMAGE_PIXELS  # never above Pillow's own guard


def _photo_with_private_exif() -> bytes:
    from PIL.ExifTags import IFD, Base

    exif = Image.Exif()
    exif[Base.Make] = "ACME"
    exif[IFD.GPSInfo] = {1: "N", 2: (52.0, 31.0, 12.0), 3: "E", 4: (13.0, 24.0, 36.0)}
    exif[IFD.Exif] = {Base.BodySerialNumber: "BODY-123456", Base.LensSerialNumber: "LENS-9",
                      Base.ExposureTime: 0.01}
    buffer = io.BytesIO()
    Image.fromarray(RGB).save(buffer, format="JPEG", exif=exif.tobytes())
    return buffer.getvalue()


@pytest.mark.parametrize("keep", [False, True])
def test_outputs_carry_no_gps_or_serial_numbers_unless_asked(keep):
    from PIL.ExifTags import IFD, Base

    source = read_image(_photo_with_private_exif())
    out = io.BytesIO()
    write_image(source.image, out, format="PNG", source=source, keep_private_metadata=keep)
    with Image.open(io.BytesIO(out.getvalue())) as written:
        exif = written.getexif()
        assert exif.get(Base.Make) == "ACME"  # what the photo is stays
        assert float(exif.get_ifd(IFD.Exif).get(Base.ExposureTime)) == pytest.approx(0.01)
        assert bool(exif.get_ifd(IFD.GPSInfo)) == keep
        assert (exif.get_ifd(IFD.Exif).get(Base.BodySerialNumber) == "BODY-123456") == keep
        assert (b"BODY-123456" in out.getvalue()) == keep
