"""Classic image processing for deep-learning pipelines, with numbers to look at.

Every op works on a :class:`~tools.image_loader.LoadedImage` (a bundled sample or a user file)
with scikit-image, and returns the before/after arrays plus a few statistics:

* ``equalize`` — global histogram equalisation (``exposure.equalize_hist``);
* ``clahe`` — contrast-limited *adaptive* equalisation (``exposure.equalize_adapthist``);
* ``edges`` — Sobel gradient magnitude, edges = magnitude above its Otsu threshold;
* ``blur`` — Gaussian blur; ``sharpen`` — unsharp mask;
* ``threshold`` — Otsu's global threshold (``filters.threshold_otsu``);
* ``morphology`` — grey-scale opening with a disk (removes bright details smaller than it);
* ``augment`` — the standard training augmentations: horizontal flip, random resized crop,
  rotation, colour jitter, and three random combinations (what a network sees in 3 epochs).

Filter sizes scale with the image (``short side / 256``) so a 2 MP photo looks like the 512 px
sample. Intensity statistics are on the greyscale (luminance) image in ``[0, 1]``.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from tools.errors import UserInputError
from tools.image_loader import SAMPLES, LoadedImage, load_image, load_sample

log = logging.getLogger(__name__)

OPS = ("equalize", "clahe", "edges", "blur", "sharpen", "threshold", "morphology", "augment")
DEFAULT_SAMPLE = {
    "equalize": "moon", "clahe": "moon", "edges": "camera", "blur": "astronaut",
    "sharpen": "chelsea", "threshold": "coins", "morphology": "coins", "augment": "chelsea",
}
REFERENCE_SIDE_PX = 256  # filter sizes are ``short side / REFERENCE_SIDE_PX`` (2 px at 512 px)
CLAHE_CLIP_LIMIT = 0.02
LOCAL_CONTRAST_WINDOW_PX = 15
SHARPEN_AMOUNT = 1.5
MORPHOLOGY_RADIUS_FACTOR = 1.5  # disk radius = 1.5 × scale (3 px at 512 px)
AUGMENT_MAX_PIXELS = 300_000  # augmentations are shown at training-like resolution
ROTATION_MAX_DEG = 25.0
CROP_AREA_RANGE = (0.35, 0.75)
CROP_ASPECT_RANGE = (3 / 4, 4 / 3)
JITTER_STRENGTH = 0.4  # brightness, contrast and saturation factors from [0.6, 1.4]
HUE_SHIFT_MAX = 0.05  # fraction of the colour wheel
AUGMENT_SEED = 0
HIST_BINS = 64

# Luminance weights (ITU-R BT.709, as skimage.color.rgb2gray).
_LUMA = np.array([0.2125, 0.7154, 0.0721])


@dataclass(frozen=True, eq=False)
class Panel:
    label: str
    pixels: np.ndarray


@dataclass(frozen=True, eq=False)
class ImageOpResult:
    op: str
    source: str
    width: int
    height: int
    original_width: int
    original_height: int
    before: np.ndarray  # the input (greyscale or RGB) in [0, 1]
    after: np.ndarray  # the output; for edges the gradient magnitude, for threshold a bool mask
    stats: dict[str, float]
    summary: str
    panels: tuple[Panel, ...] = ()  # augment: the grid of augmented copies
    mask: np.ndarray | None = field(default=None)  # edges: magnitude above the Otsu threshold

    def to_dict(self) -> dict[str, Any]:
        return {"op": self.op, "width": self.width, "height": self.height,
                "stats": dict(self.stats), "summary": self.summary}


# --------------------------------------------------------------------------- helpers


def to_gray(pixels: np.ndarray) -> np.ndarray:
    """Luminance in [0, 1] (unchanged if already greyscale)."""
    return pixels if pixels.ndim == 2 else pixels @ _LUMA


def contrast(gray: np.ndarray) -> float:
    """RMS contrast: the standard deviation of intensities in [0, 1]."""
    return float(np.std(gray))


def local_contrast(gray: np.ndarray, window: int = LOCAL_CONTRAST_WINDOW_PX) -> float:
    """Mean over pixels of the intensity std in a ``window × window`` neighbourhood."""
    from scipy import ndimage

    mean = ndimage.uniform_filter(gray, window, mode="reflect")
    mean_sq = ndimage.uniform_filter(gray * gray, window, mode="reflect")
    return float(np.mean(np.sqrt(np.clip(mean_sq - mean * mean, 0.0, None))))


def sharpness(gray: np.ndarray) -> float:
    """Variance of the Laplacian (×1000): high for crisp edges, low for blurry images."""
    from scipy import ndimage

    return float(np.var(ndimage.laplace(gray)) * 1000.0)


def cdf_deviation(gray: np.ndarray) -> float:
    """Largest gap between the intensity CDF and a uniform CDF (0 = perfectly flat histogram)."""
    values = np.sort(gray.ravel())
    ecdf = np.arange(1, values.size + 1) / values.size
    return float(np.max(np.abs(ecdf - values)))


def filter_scale(image: LoadedImage) -> float:
    """The size unit for filters: 2 px on a 512 px image, proportionally more on larger ones."""
    return max(1.0, min(image.width, image.height) / REFERENCE_SIDE_PX)


def _stat(x: float, digits: int = 4) -> float:
    return float(round(x, digits))


def _sig(x: float, digits: int = 4) -> float:
    """Round to significant digits (for values that span decades, such as sharpness)."""
    return float(f"{x:.{digits}g}")


# --------------------------------------------------------------------------- the ops


def _equalize(img: LoadedImage) -> tuple[np.ndarray, dict[str, float], str]:
    from skimage import exposure

    gray = to_gray(img.pixels)
    out = exposure.equalize_hist(gray, nbins=256)
    stats = {"contrast_before": _stat(contrast(gray)), "contrast_after": _stat(contrast(out)),
             "cdf_deviation_before": _stat(cdf_deviation(gray)), "cdf_deviation_after": _stat(cdf_deviation(out))}
    text = (f"Histogram equalisation maps each grey level through the image's own CDF, spreading the "
            f"histogram over the full range: contrast (std of intensities) went from "
            f"{stats['contrast_before']:.3f} to {stats['contrast_after']:.3f}, and the largest gap "
            f"between the CDF and a flat one from {stats['cdf_deviation_before']:.2f} to "
            f"{stats['cdf_deviation_after']:.2f}.")
    return out, stats, text


def _clahe(img: LoadedImage) -> tuple[np.ndarray, dict[str, float], str]:
    from skimage import exposure

    gray = to_gray(img.pixels)
    out = exposure.equalize_adapthist(gray, clip_limit=CLAHE_CLIP_LIMIT)
    stats = {"contrast_before": _stat(contrast(gray)), "contrast_after": _stat(contrast(out)),
             "local_contrast_before": _stat(local_contrast(gray)),
             "local_contrast_after": _stat(local_contrast(out)), "clip_limit": CLAHE_CLIP_LIMIT}
    text = (f"CLAHE equalises each tile (1/8 of the image) separately, with a clip limit of "
            f"{CLAHE_CLIP_LIMIT} so noise is not blown up: local contrast (std in "
            f"{LOCAL_CONTRAST_WINDOW_PX}×{LOCAL_CONTRAST_WINDOW_PX} windows) went from "
            f"{stats['local_contrast_before']:.3f} to {stats['local_contrast_after']:.3f}, global "
            f"contrast from {stats['contrast_before']:.3f} to {stats['contrast_after']:.3f}.")
    return out, stats, text


def _edges(img: LoadedImage) -> tuple[np.ndarray, dict[str, float], str, np.ndarray]:
    from skimage import filters

    gray = to_gray(img.pixels)
    magnitude = filters.sobel(gray)
    threshold = float(filters.threshold_otsu(magnitude)) if np.ptp(magnitude) > 0 else float("inf")
    mask = magnitude > threshold
    stats = {"edge_pixel_fraction": _stat(float(mask.mean())),
             "edge_threshold": _stat(threshold if math.isfinite(threshold) else 0.0),
             "mean_gradient": _stat(float(magnitude.mean())),
             "max_gradient": _stat(float(magnitude.max()))}
    text = (f"The Sobel filter estimates the intensity gradient with two 3×3 kernels (what the first "
            f"layer of a CNN often learns); {stats['edge_pixel_fraction']:.1%} of pixels have a "
            f"gradient above the Otsu threshold of {stats['edge_threshold']:.3f} and count as edges.")
    return magnitude, stats, text, mask


def _blur(img: LoadedImage) -> tuple[np.ndarray, dict[str, float], str]:
    from skimage import filters

    sigma = filter_scale(img)
    out = filters.gaussian(img.pixels, sigma=sigma, channel_axis=-1 if img.is_color else None)
    g0, g1 = to_gray(img.pixels), to_gray(out)
    stats = {"sigma_px": _stat(sigma, 2), "variance_before": _sig(float(np.var(g0))),
             "variance_after": _sig(float(np.var(g1))),
             "sharpness_before": _sig(sharpness(g0)), "sharpness_after": _sig(sharpness(g1))}
    drop = _ratio(stats["sharpness_before"], stats["sharpness_after"])
    text = (f"A Gaussian blur with σ = {sigma:.1f} px averages each pixel with its neighbours: "
            f"intensity variance went from {stats['variance_before']:.4f} to {stats['variance_after']:.4f} "
            f"and sharpness (Laplacian variance) dropped {drop}. "
            f"Used as an augmentation it teaches a network to ignore focus.")
    return out, stats, text


def _sharpen(img: LoadedImage) -> tuple[np.ndarray, dict[str, float], str]:
    from skimage import filters

    radius = filter_scale(img)
    # channel_axis=2, not -1: scikit-image's unsharp_mask mis-slices a negative channel axis and
    # returns a nearly black image (scikit-image issue #7264, open as of 0.26).
    out = filters.unsharp_mask(img.pixels, radius=radius, amount=SHARPEN_AMOUNT,
                               channel_axis=2 if img.is_color else None)
    g0, g1 = to_gray(img.pixels), to_gray(out)
    stats = {"radius_px": _stat(radius, 2), "amount": SHARPEN_AMOUNT,
             "sharpness_before": _sig(sharpness(g0)), "sharpness_after": _sig(sharpness(g1)),
             "contrast_before": _stat(contrast(g0)), "contrast_after": _stat(contrast(g1))}
    text = (f"Unsharp masking adds back {SHARPEN_AMOUNT}× the detail a blur (radius {radius:.1f} px) "
            f"removes: sharpness (Laplacian variance) rose "
            f"{_ratio(stats['sharpness_after'], stats['sharpness_before'])}, from "
            f"{stats['sharpness_before']:.3g} to {stats['sharpness_after']:.3g}. A little sharpening can "
            f"undo camera blur; too much amplifies noise and halos.")
    return out, stats, text


def _threshold(img: LoadedImage) -> tuple[np.ndarray, dict[str, float], str]:
    from skimage import filters

    gray = to_gray(img.pixels)
    value = float(filters.threshold_otsu(gray)) if np.ptp(gray) > 0 else float(gray.flat[0])
    mask = gray > value
    stats = {"otsu_threshold": _stat(value), "otsu_threshold_8bit": _stat(value * 255, 1),
             "foreground_fraction": _stat(float(mask.mean()))}
    text = (f"Otsu's method picks the grey level that best separates the histogram into two classes "
            f"(maximum between-class variance): {value:.3f} (≈ {value * 255:.0f}/255). "
            f"{stats['foreground_fraction']:.1%} of the pixels are brighter and become foreground.")
    return mask, stats, text


def _morphology(img: LoadedImage) -> tuple[np.ndarray, dict[str, float], str]:
    from skimage import morphology

    gray = to_gray(img.pixels)
    radius = morphology_radius(img)
    # "crosses" is an exact decomposition of the disk and ~3× faster for big radii.
    footprint = morphology.disk(radius, decomposition="crosses" if radius >= 4 else None)
    out = morphology.opening(gray, footprint)
    removed = gray - out
    stats = {"footprint_radius_px": float(radius), "mean_before": _stat(float(gray.mean())),
             "mean_after": _stat(float(out.mean())),
             "changed_pixel_fraction": _stat(float(np.mean(removed > 1 / 255))),
             "max_removed": _stat(float(removed.max()))}
    text = (f"Grey-scale opening (erosion then dilation with a disk of radius {radius} px) removes "
            f"bright details smaller than the disk and never brightens a pixel: "
            f"{stats['changed_pixel_fraction']:.1%} of pixels got darker and the mean intensity went "
            f"from {stats['mean_before']:.3f} to {stats['mean_after']:.3f}.")
    return out, stats, text


def morphology_radius(img: LoadedImage) -> int:
    return max(1, round(MORPHOLOGY_RADIUS_FACTOR * filter_scale(img)))


def _ratio(big: float, small: float) -> str:
    return f"{big / small:.1f}×" if small > 0 else "sharply"


# --------------------------------------------------------------------------- augmentation


def hflip(pixels: np.ndarray) -> np.ndarray:
    return pixels[:, ::-1].copy()


def crop_box(height: int, width: int, rng: np.random.Generator) -> tuple[int, int, int, int]:
    """A random-resized-crop box ``(top, left, crop_h, crop_w)`` (torchvision's recipe)."""
    area = height * width
    for _ in range(10):
        target = area * rng.uniform(*CROP_AREA_RANGE)
        aspect = math.exp(rng.uniform(math.log(CROP_ASPECT_RANGE[0]), math.log(CROP_ASPECT_RANGE[1])))
        w = round(math.sqrt(target * aspect))
        h = round(math.sqrt(target / aspect))
        if 0 < w <= width and 0 < h <= height:
            return int(rng.integers(0, height - h + 1)), int(rng.integers(0, width - w + 1)), h, w
    h, w = height, width  # fallback: the whole image
    return 0, 0, h, w


def resized_crop(pixels: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    from skimage import transform

    top, left, h, w = box
    return transform.resize(pixels[top:top + h, left:left + w], pixels.shape, order=1, mode="edge",
                            anti_aliasing=False)


def rotate(pixels: np.ndarray, angle_deg: float) -> np.ndarray:
    """Rotate about the centre, same size, corners filled with black (torchvision's default)."""
    from skimage import transform

    return transform.rotate(pixels, angle_deg, order=1, mode="constant", cval=0.0)


def color_jitter(pixels: np.ndarray, brightness: float, contrast_f: float, saturation: float,
                 hue: float) -> np.ndarray:
    """Brightness, contrast, saturation (blends, as torchvision) and a hue rotation.

    Hue is rotated in YIQ space (a 3×3 linear map, much faster than HSV on big images).
    """
    out = np.clip(pixels * brightness, 0.0, 1.0)
    mean = float(to_gray(out).mean())
    out = np.clip(mean + (out - mean) * contrast_f, 0.0, 1.0)
    if out.ndim == 3:
        gray = to_gray(out)[..., None]
        out = np.clip(gray + (out - gray) * saturation, 0.0, 1.0)
        out = np.clip(hue_rotate(out, hue), 0.0, 1.0)
    return out


_RGB2YIQ = np.array([[0.299, 0.587, 0.114], [0.596, -0.274, -0.322], [0.211, -0.523, 0.312]])
_YIQ2RGB = np.linalg.inv(_RGB2YIQ)


def hue_rotate(rgb: np.ndarray, turn: float) -> np.ndarray:
    """Rotate hue by ``turn`` of a full circle (keeps luma Y, rotates the I/Q chroma plane)."""
    theta = 2 * math.pi * turn
    c, s = math.cos(theta), math.sin(theta)
    rot = np.array([[1, 0, 0], [0, c, -s], [0, s, c]])
    return rgb @ (_YIQ2RGB @ rot @ _RGB2YIQ).T


def _augment_pixels(img: LoadedImage) -> np.ndarray:
    from skimage import transform

    pixels = img.pixels
    if img.width * img.height > AUGMENT_MAX_PIXELS:
        scale = math.sqrt(AUGMENT_MAX_PIXELS / (img.width * img.height))
        shape = (max(1, round(img.height * scale)), max(1, round(img.width * scale))) + pixels.shape[2:]
        pixels = transform.resize(pixels, shape, order=1, anti_aliasing=True)
    return pixels


def _augment(img: LoadedImage, seed: int) -> tuple[tuple[Panel, ...], dict[str, float], str]:
    rng = np.random.default_rng(seed)
    pixels = _augment_pixels(img)
    h, w = pixels.shape[:2]
    box = crop_box(h, w, rng)
    angle = float(rng.uniform(-ROTATION_MAX_DEG, ROTATION_MAX_DEG))
    lo, hi = 1 - JITTER_STRENGTH, 1 + JITTER_STRENGTH
    b, c, s = (float(v) for v in rng.uniform(lo, hi, 3))
    hue = float(rng.uniform(-HUE_SHIFT_MAX, HUE_SHIFT_MAX)) if img.is_color else 0.0
    if not img.is_color:
        s = 1.0
    panels = [
        Panel("original", pixels),
        Panel("horizontal flip", hflip(pixels)),
        Panel(f"random crop: {box[2] * box[3] / (h * w):.0%} of the area,\nresized back",
              resized_crop(pixels, box)),
        Panel(f"rotation {angle:+.0f}°", rotate(pixels, angle)),
        Panel(("colour" if img.is_color else "brightness/contrast")
              + f" jitter\nbrightness ×{b:.2f}, contrast ×{c:.2f}"
              + (f"\nsaturation ×{s:.2f}, hue {hue:+.2f} turn" if img.is_color else ""),
              color_jitter(pixels, b, c, s, hue)),
    ]
    for k in range(3):  # a full random pipeline, as a data loader applies it each epoch
        out = hflip(pixels) if rng.random() < 0.5 else pixels
        out = resized_crop(out, crop_box(h, w, rng))
        out = rotate(out, float(rng.uniform(-ROTATION_MAX_DEG, ROTATION_MAX_DEG)))
        jb, jc, js = (float(v) for v in rng.uniform(lo, hi, 3))
        jh = float(rng.uniform(-HUE_SHIFT_MAX, HUE_SHIFT_MAX)) if img.is_color else 0.0
        out = color_jitter(out, jb, jc, js if img.is_color else 1.0, jh)
        panels.append(Panel(f"random flip + crop + rotation\n+ jitter: epoch {k + 1}", out))
    stats = {"crop_area_fraction": _stat(box[2] * box[3] / (h * w), 3), "rotation_deg": _stat(angle, 2),
             "brightness_factor": _stat(b, 3), "contrast_factor": _stat(c, 3),
             "saturation_factor": _stat(s, 3), "hue_shift": _stat(hue, 3),
             "augment_width": float(w), "augment_height": float(h)}
    text = (f"Data augmentation shows the network a slightly different picture every epoch so it learns "
            f"what stays the same: here a horizontal flip, a random crop of {stats['crop_area_fraction']:.0%} "
            f"of the area resized back, a {angle:+.0f}° rotation and a colour jitter "
            f"(brightness ×{b:.2f}, contrast ×{c:.2f}"
            + (f", saturation ×{s:.2f}, hue {hue:+.2f} turn)" if img.is_color else ")")
            + ", then three random combinations of all four.")
    return tuple(panels), stats, text


# --------------------------------------------------------------------------- entry point


def run_image_op(op: str, image_bytes: bytes | None = None, filename: str = "image",
                 sample: str | None = None, seed: int = AUGMENT_SEED) -> ImageOpResult:
    """Apply ``op`` to a user image (bytes) or a bundled sample (default: the best one for ``op``)."""
    if op not in OPS:
        raise UserInputError(f"unknown op {str(op)[:40]!r}; choose one of {' | '.join(OPS)}")
    if image_bytes is not None and sample is not None:
        raise UserInputError("give an image or a sample, not both")
    if sample is not None and sample not in SAMPLES:
        raise UserInputError(f"unknown sample {str(sample)[:40]!r}; choose one of {' | '.join(SAMPLES)}")
    if image_bytes is not None:
        img = load_image(image_bytes, filename)
    else:
        img = load_sample(sample or DEFAULT_SAMPLE[op])
    return apply_op(op, img, seed)


def apply_op(op: str, img: LoadedImage, seed: int = AUGMENT_SEED) -> ImageOpResult:
    """Apply ``op`` to an already loaded image."""
    if op not in OPS:
        raise UserInputError(f"unknown op {str(op)[:40]!r}; choose one of {' | '.join(OPS)}")
    mask = None
    panels: tuple[Panel, ...] = ()
    original = img
    img = replace(img, pixels=np.array(img.pixels))  # writable: some skimage (Cython) code needs it
    if op == "augment":
        panels, stats, text = _augment(img, seed)
        after = panels[-1].pixels
    elif op == "edges":
        after, stats, text, mask = _edges(img)
    else:
        after, stats, text = {"equalize": _equalize, "clahe": _clahe, "blur": _blur, "sharpen": _sharpen,
                              "threshold": _threshold, "morphology": _morphology}[op](img)
    origin = f"{img.source} ({img.width}×{img.height}"
    if img.downscaled:
        origin += f", downscaled from {img.original_width}×{img.original_height} for processing"
    summary = f"{text} Image: {origin})."
    log.debug("image op %s on %s: %s", op, img.source, stats)
    return ImageOpResult(op, img.source, img.width, img.height, img.original_width, img.original_height,
                         original.pixels, after, stats, summary, panels, mask)
