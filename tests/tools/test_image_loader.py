"""Safe image loading: format by content, pixel limits before decoding, one-line errors."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageFile

from tools.errors import UserInputError
from tools.image_loader import (
    MAX_IMAGE_BYTES,
    MAX_IMAGE_PIXELS,
    MAX_PROCESS_PIXELS,
    MIN_IMAGE_SIDE_PX,
    SAMPLES,
    LoadedImage,
    load_image,
    load_sample,
)

RNG = np.random.default_rng(0)
SMOOTH = (np.add.outer(np.linspace(0, 200, 48), np.linspace(0, 55, 64))).astype(np.uint8)  # 48×64
RGB = np.stack([SMOOTH, 255 - SMOOTH, np.full_like(SMOOTH, 90)], axis=-1)


def encode(array: np.ndarray, fmt: str, **options) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(array).save(buf, fmt, **options)
    return buf.getvalue()


def png_header_only(width: int, height: int) -> bytes:
    """A PNG whose IHDR claims ``width × height`` but whose data is a few bytes (a bomb's shape)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64))
            + chunk(b"IEND", b""))


@pytest.fixture
def no_decoding(monkeypatch):
    """Fail loudly if anything tries to decode pixel data."""

    def refuse(self):
        raise AssertionError("pixel data was decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", refuse)


# ------------------------------------------------------------------ accepted formats


@pytest.mark.parametrize("fmt, options, tolerance", [
    ("PNG", {}, 0.0),
    ("WEBP", {"lossless": True}, 0.0),
    ("JPEG", {"quality": 95}, 0.06),
    ("GIF", {}, 0.08),  # palette quantisation
])
def test_real_images_of_each_allowed_format_load_as_floats(fmt, options, tolerance):
    img = load_image(encode(RGB, fmt, **options), f"picture.{fmt.lower()}")
    assert isinstance(img, LoadedImage)
    assert img.format == fmt
    assert img.pixels.shape == (48, 64, 3) and img.pixels.dtype == np.float64
    assert 0.0 <= img.pixels.min() and img.pixels.max() <= 1.0
    assert np.abs(img.pixels - RGB / 255.0).mean() <= tolerance + 1e-12
    assert not img.pixels.flags.writeable


def test_format_comes_from_the_content_not_the_file_name():
    img = load_image(encode(RGB, "PNG"), "holiday.jpg")
    assert img.format == "PNG"


def test_text_file_renamed_png_is_rejected_with_one_line():
    with pytest.raises(UserInputError, match="not a PNG, JPEG, WebP or GIF image") as err:
        load_image(b"name,score\nada,3\n" * 10, "results.png")
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("fmt", ["BMP", "TIFF", "PPM", "ICO"])
def test_other_image_formats_are_not_even_parsed(fmt):
    with pytest.raises(UserInputError, match="not a PNG, JPEG, WebP or GIF"):
        load_image(encode(RGB, fmt), f"x.{fmt.lower()}")


def test_greyscale_png_gives_a_2d_array():
    img = load_image(encode(SMOOTH, "PNG"), "grey.png")
    assert img.pixels.shape == (48, 64)
    assert np.allclose(img.pixels, SMOOTH / 255.0)


def test_sixteen_bit_png_is_scaled_to_unit_range():
    deep = (np.linspace(0, 65535, 48 * 64).reshape(48, 64)).astype(np.uint16)
    img = load_image(encode(deep, "PNG"), "deep.png")
    assert img.pixels.shape == (48, 64)
    assert np.allclose(img.pixels, deep / 65535.0, atol=1e-6)


def test_transparent_pixels_are_composited_over_white():
    rgba = np.zeros((32, 32, 4), np.uint8)
    rgba[..., 0] = 255
    rgba[:, 16:, 3] = 255  # right half opaque red, left half fully transparent
    img = load_image(encode(rgba, "PNG"), "alpha.png")
    assert np.allclose(img.pixels[:, :16], 1.0)
    assert np.allclose(img.pixels[:, 16:], [1.0, 0.0, 0.0])


def test_animated_gif_uses_the_first_frame():
    frames = [Image.fromarray(np.full((32, 32, 3), value, np.uint8)) for value in (30, 220)]
    buf = io.BytesIO()
    frames[0].save(buf, "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    img = load_image(buf.getvalue(), "anim.gif")
    assert np.allclose(img.pixels, 30 / 255.0, atol=0.02)


def test_exif_orientation_is_applied():
    tall = np.zeros((40, 64, 3), np.uint8)
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to view"
    buf = io.BytesIO()
    Image.fromarray(tall).save(buf, "JPEG", exif=exif.tobytes())
    img = load_image(buf.getvalue(), "phone.jpg")
    assert (img.width, img.height) == (40, 64)
    assert (img.original_width, img.original_height) == (40, 64)


def test_large_images_are_downscaled_to_the_processing_limit():
    width, height = 2400, 1500  # 3.6 MP
    gradient = np.broadcast_to(np.linspace(0, 255, width, dtype=np.uint8), (height, width))
    img = load_image(encode(np.ascontiguousarray(gradient), "PNG"), "wide.png")
    assert img.width * img.height <= MAX_PROCESS_PIXELS
    assert img.width * img.height >= 0.98 * MAX_PROCESS_PIXELS
    assert img.width / img.height == pytest.approx(width / height, rel=0.01)
    assert (img.original_width, img.original_height) == (width, height)
    assert img.downscaled


def test_large_jpeg_is_decoded_at_reduced_scale_and_downscaled():
    width, height = 3000, 2000
    noise = RNG.integers(0, 256, (height // 8, width // 8, 3), dtype=np.uint8)
    big = np.repeat(np.repeat(noise, 8, axis=0), 8, axis=1)
    img = load_image(encode(big, "JPEG", quality=70), "photo.jpg")
    assert img.width * img.height <= MAX_PROCESS_PIXELS
    assert (img.original_width, img.original_height) == (width, height)


# ------------------------------------------------------------------ rejected input


@pytest.mark.parametrize("width, height", [(30000, 30000), (10000, 10000), (100000, 100000)])
def test_decompression_bomb_header_is_rejected_without_decoding(width, height, no_decoding):
    with pytest.raises(UserInputError, match="megapixels"):
        load_image(png_header_only(width, height), "bomb.png")


def test_just_over_the_pixel_limit_is_rejected_with_its_dimensions(no_decoding):
    width, height = 6000, 5000  # 30 MP: under Pillow's own limit, over ours
    assert width * height > MAX_IMAGE_PIXELS
    with pytest.raises(UserInputError, match="6,000×5,000 pixels"):
        load_image(png_header_only(width, height), "big.png")


def test_pillow_global_limit_is_left_alone():
    before = Image.MAX_IMAGE_PIXELS
    with pytest.raises(UserInputError):
        load_image(png_header_only(30000, 30000), "bomb.png")
    assert Image.MAX_IMAGE_PIXELS == before


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP", "GIF"])
def test_truncated_files_give_a_clear_error(fmt):
    data = encode(RNG.integers(0, 256, (64, 64, 3), dtype=np.uint8), fmt)
    with pytest.raises(UserInputError) as err:
        load_image(data[: len(data) // 2], f"cut.{fmt.lower()}")
    message = str(err.value)
    assert "\n" not in message and ("corrupt" in message or "truncated" in message or "not a" in message)


def test_empty_file_is_rejected():
    with pytest.raises(UserInputError, match="empty"):
        load_image(b"", "nothing.png")


def test_oversized_bytes_are_rejected_before_parsing(no_decoding):
    with pytest.raises(UserInputError, match="10 MB"):
        load_image(b"\x89PNG" + b"\0" * MAX_IMAGE_BYTES, "huge.png")


def test_tiny_images_are_rejected():
    side = MIN_IMAGE_SIDE_PX - 1
    with pytest.raises(UserInputError, match="at least"):
        load_image(encode(np.zeros((side, 40), np.uint8), "PNG"), "tiny.png")


def test_non_bytes_input_is_rejected():
    with pytest.raises(UserInputError):
        load_image("not bytes", "x.png")  # type: ignore[arg-type]


def test_error_messages_do_not_echo_control_characters_from_file_names():
    with pytest.raises(UserInputError) as err:
        load_image(b"junk", "evil\nname\x1b[31m.png")
    assert "\n" not in str(err.value) and "\x1b" not in str(err.value)


# ------------------------------------------------------------------ samples


@pytest.mark.parametrize("name", list(SAMPLES))
def test_bundled_samples_load_offline(name):
    img = load_sample(name)
    assert img.pixels.ndim in (2, 3) and min(img.width, img.height) >= 256
    assert 0.0 <= img.pixels.min() and img.pixels.max() <= 1.0


def test_unknown_sample_is_rejected():
    with pytest.raises(UserInputError, match="camera"):
        load_sample("lena")


# ------------------------------------------------------------------ fuzzing

SEEDS = [encode(RGB, "PNG"), encode(RGB, "JPEG"), encode(RGB, "GIF"), encode(RGB, "WEBP"),
         png_header_only(64, 48)]


def check_outcome(data: bytes) -> None:
    try:
        img = load_image(data, "fuzz.bin")
    except UserInputError as err:
        assert str(err) and "\n" not in str(err)
        return
    assert img.pixels.dtype == np.float64 and img.pixels.ndim in (2, 3)
    assert np.isfinite(img.pixels).all() and 0.0 <= img.pixels.min() and img.pixels.max() <= 1.0


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2048))
def test_fuzz_arbitrary_bytes_load_or_raise_user_input_error(data):
    check_outcome(data)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(SEEDS), st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), max_size=8),
       st.integers(0, 10**6))
def test_fuzz_mutated_real_images_load_or_raise_user_input_error(seed, flips, cut):
    data = bytearray(seed)
    for position, value in flips:
        data[position % len(data)] = value
    check_outcome(bytes(data[: max(1, cut % (len(data) + 1))]))
