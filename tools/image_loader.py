"""Safe loading of user images (and the bundled samples) as float arrays in ``[0, 1]``.

User bytes are untrusted. The checks, in order:

1. size: at most :data:`MAX_IMAGE_BYTES`, not empty;
2. format: Pillow is only allowed to try the PNG, JPEG, WebP and GIF decoders (``formats=``), so
   the *content* decides, never the file name, and no other parser ever sees the bytes;
3. dimensions from the header (``Image.open`` is lazy and decodes nothing): more than
   :data:`MAX_IMAGE_PIXELS` is refused before any pixel is decoded (decompression bombs);
   Pillow's own ``DecompressionBombError`` for absurd sizes maps to the same message;
4. decoding (first frame only for GIF/animated files); a corrupt or truncated file gives one
   clear line instead of a traceback;
5. images over :data:`MAX_PROCESS_PIXELS` are downscaled for processing (JPEG via the decoder's
   draft mode, so a 24 MP photo is never fully decoded).
"""

from __future__ import annotations

import io
import logging
import math
import warnings
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from tools.errors import UserInputError
from tools.text import clip

log = logging.getLogger(__name__)

MAX_IMAGE_BYTES = 10 * 1024 * 1024
MAX_IMAGE_PIXELS = 25_000_000
MAX_PROCESS_PIXELS = 2_000_000
MIN_IMAGE_SIDE_PX = 16
ALLOWED_FORMATS = ("PNG", "JPEG", "WEBP", "GIF")
FORMAT_NAMES = "PNG, JPEG, WebP or GIF"
MAX_FILENAME_CHARS = 60

# Bundled samples: they ship inside scikit-image (skimage/data/*.png), no download needed.
SAMPLES = {
    "camera": "cameraman, greyscale 512×512",
    "astronaut": "astronaut Eileen Collins, colour 512×512",
    "coffee": "cup of coffee, colour 600×400",
    "coins": "Greek coins, greyscale 384×303",
    "moon": "lunar surface, low-contrast greyscale 512×512",
    "chelsea": "Chelsea the cat, colour 451×300",
}


@dataclass(frozen=True, eq=False)
class LoadedImage:
    """Pixels as float64 in ``[0, 1]``: ``(H, W)`` greyscale or ``(H, W, 3)`` RGB (read-only)."""

    pixels: np.ndarray
    source: str  # file name or "sample <name>"
    format: str  # PNG | JPEG | WEBP | GIF | sample
    original_width: int
    original_height: int

    @property
    def width(self) -> int:
        return int(self.pixels.shape[1])

    @property
    def height(self) -> int:
        return int(self.pixels.shape[0])

    @property
    def is_color(self) -> bool:
        return self.pixels.ndim == 3

    @property
    def downscaled(self) -> bool:
        return (self.width, self.height) != (self.original_width, self.original_height)


def _display_name(filename: str) -> str:
    name = "".join(ch for ch in str(filename or "") if ch.isprintable()).strip() or "the image"
    return clip(name, MAX_FILENAME_CHARS)


def processing_size(width: int, height: int, max_pixels: int = MAX_PROCESS_PIXELS) -> tuple[int, int]:
    """``(width, height)`` scaled down (aspect kept) to at most ``max_pixels``; unchanged if smaller."""
    if width * height <= max_pixels:
        return width, height
    scale = math.sqrt(max_pixels / (width * height))
    return max(1, math.floor(width * scale)), max(1, math.floor(height * scale))


def _finish(pixels: np.ndarray) -> np.ndarray:
    pixels = np.clip(np.ascontiguousarray(pixels, dtype=np.float64), 0.0, 1.0)
    if pixels.ndim == 3 and np.array_equal(pixels[..., 0], pixels[..., 1]) and np.array_equal(
            pixels[..., 0], pixels[..., 2]):
        pixels = np.ascontiguousarray(pixels[..., 0])  # an RGB file holding a grey picture
    pixels.setflags(write=False)
    return pixels


def _to_array(img: Image.Image, size: tuple[int, int]) -> np.ndarray:
    """Decoded Pillow image → float array in [0, 1], resized to ``size`` if different."""
    mode = img.mode
    if mode.startswith("I") or mode == "F":  # 16/32-bit integer or float greyscale
        img = img.convert("F")
        if img.size != size:
            img = img.resize(size, Image.Resampling.BILINEAR, reducing_gap=2.0)
        arr = np.asarray(img, dtype=np.float64)
        arr = np.nan_to_num(arr, nan=0.0, posinf=0.0, neginf=0.0)
        if arr.min() >= 0 and arr.max() <= 65535 and mode != "F":
            arr = arr / (65535.0 if arr.max() > 255 else 255.0)
        else:
            span = float(arr.max() - arr.min())
            arr = (arr - arr.min()) / span if span > 0 else np.zeros_like(arr)
        return arr
    has_alpha = mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in img.info
    if has_alpha:
        img = img.convert("RGBA")
    elif mode not in ("L", "RGB"):
        img = img.convert("L" if mode == "1" else "RGB")
    if img.size != size:
        img = img.resize(size, Image.Resampling.LANCZOS, reducing_gap=2.0)
    arr = np.asarray(img, dtype=np.float64) / 255.0
    if has_alpha:  # composite over white, like a browser shows it
        alpha = arr[..., 3:4]
        arr = arr[..., :3] * alpha + (1.0 - alpha)
    return arr


def load_image(data: bytes, filename: str = "image") -> LoadedImage:
    """Validate and decode user bytes; any problem raises :class:`UserInputError` (one line)."""
    name = _display_name(filename)
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise UserInputError(f"{name}: expected the file's bytes (a {FORMAT_NAMES} image)")
    data = bytes(data)
    if not data:
        raise UserInputError(f"{name} is empty; expected a {FORMAT_NAMES} image")
    if len(data) > MAX_IMAGE_BYTES:
        raise UserInputError(f"{name} is {len(data) / 2**20:.1f} MB; the limit is "
                             f"{MAX_IMAGE_BYTES // 2**20} MB (a {FORMAT_NAMES} image)")
    too_big = (f"{name} has too many pixels (a decompression bomb?); the limit is "
               f"{MAX_IMAGE_PIXELS / 1e6:g} megapixels")
    try:
        with warnings.catch_warnings():
            # We apply our own (lower) pixel limit right below, with the real dimensions.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data), formats=list(ALLOWED_FORMATS))
    except Image.DecompressionBombError:
        raise UserInputError(too_big) from None
    except UnidentifiedImageError:
        raise UserInputError(f"{name} is not a {FORMAT_NAMES} image (its contents are not "
                             f"recognised, whatever the file name says)") from None
    except Exception as exc:  # noqa: BLE001 - any parser failure on untrusted bytes
        log.debug("image header rejected: %r", exc)
        raise UserInputError(f"{name} could not be read: the {FORMAT_NAMES} header is corrupt") from None

    with img:
        fmt = img.format or ""
        if fmt not in ALLOWED_FORMATS:  # defensive: formats= already restricts the decoders
            raise UserInputError(f"{name} is a {fmt or 'unknown'} file; expected a {FORMAT_NAMES} image")
        width, height = img.size
        if width * height > MAX_IMAGE_PIXELS:
            raise UserInputError(f"{name} is {width:,}×{height:,} pixels ({width * height / 1e6:,.1f} MP); "
                                 f"the limit is {MAX_IMAGE_PIXELS / 1e6:g} megapixels")
        if min(width, height) < MIN_IMAGE_SIDE_PX:
            raise UserInputError(f"{name} is only {width}×{height} pixels; each side needs at least "
                                 f"{MIN_IMAGE_SIDE_PX} pixels")
        target = processing_size(width, height)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # e.g. "palette images with transparency…"
                if fmt == "JPEG" and target != (width, height):
                    img.draft(None, target)  # decode at 1/2, 1/4 or 1/8 scale: much less work
                img.load()
                frame: Image.Image = img
                if fmt in ("JPEG", "WEBP", "PNG"):
                    try:
                        frame = ImageOps.exif_transpose(img) or img  # phone photos: upright
                    except Exception:  # noqa: BLE001 - bad EXIF only loses the rotation
                        frame = img
                if frame.size == img.size[::-1] and frame.width != frame.height:
                    width, height = height, width  # EXIF rotated the picture by 90°
                # draft() may have decoded at a reduced scale already: size from what we have.
                target = processing_size(*frame.size)
                pixels = _to_array(frame, target)
        except Image.DecompressionBombError:
            raise UserInputError(too_big) from None
        except UserInputError:
            raise
        except Exception as exc:  # noqa: BLE001 - truncated/corrupt data: any decoder error
            log.debug("image decode failed: %r", exc)
            raise UserInputError(f"{name} could not be decoded: the {fmt} data is corrupt or "
                                 f"truncated") from None
    return LoadedImage(_finish(pixels), name, fmt, width, height)


def load_sample(name: str) -> LoadedImage:
    """One of :data:`SAMPLES` from scikit-image's bundled data (works offline)."""
    if name not in SAMPLES:
        raise UserInputError(f"unknown sample {str(name)[:40]!r}; choose one of {' | '.join(SAMPLES)}")
    import skimage.data

    raw = getattr(skimage.data, name)()
    pixels = raw.astype(np.float64) / 255.0
    return LoadedImage(_finish(pixels), f"sample {name}", "sample", int(raw.shape[1]), int(raw.shape[0]))
