"""Image ops checked against independent computations (numpy, scipy, hand formulas)."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
from numpy.lib.stride_tricks import sliding_window_view
from scipy import ndimage
from skimage import color, data, filters, morphology

from tools.errors import UserInputError
from tools.image_loader import LoadedImage, load_sample
from tools.image_ops import (
    CROP_AREA_RANGE,
    OPS,
    ROTATION_MAX_DEG,
    SHARPEN_AMOUNT,
    apply_op,
    color_jitter,
    filter_scale,
    hue_rotate,
    local_contrast,
    morphology_radius,
    run_image_op,
    to_gray,
)

RNG = np.random.default_rng(1)


def loaded(pixels: np.ndarray, source: str = "test") -> LoadedImage:
    pixels = np.array(pixels, dtype=np.float64)
    pixels.setflags(write=False)
    return LoadedImage(pixels, source, "PNG", pixels.shape[1], pixels.shape[0])


@pytest.fixture(scope="module")
def camera() -> LoadedImage:
    return load_sample("camera")


@pytest.fixture(scope="module")
def chelsea() -> LoadedImage:
    return load_sample("chelsea")


def test_luminance_matches_skimage_rgb2gray(chelsea):
    assert np.allclose(to_gray(chelsea.pixels), color.rgb2gray(np.array(chelsea.pixels)), atol=1e-12)


# ------------------------------------------------------------------ equalize / clahe


def test_equalize_makes_the_cdf_nearly_uniform():
    skewed = loaded(RNG.beta(2, 8, (160, 160)))  # dark, low contrast, continuous values
    result = apply_op("equalize", skewed)
    values = np.sort(result.after.ravel())
    ecdf = np.arange(1, values.size + 1) / values.size
    assert np.max(np.abs(ecdf - values)) < 0.01  # Kolmogorov–Smirnov distance to U(0, 1)
    assert result.stats["cdf_deviation_after"] < 0.01 < result.stats["cdf_deviation_before"]
    assert result.stats["contrast_before"] == pytest.approx(np.std(skewed.pixels), abs=1e-4)
    assert result.stats["contrast_after"] == pytest.approx(1 / np.sqrt(12), abs=0.01)  # std of U(0,1)


def test_clahe_raises_local_contrast_of_a_flat_image():
    result = run_image_op("clahe", sample="moon")
    assert result.stats["local_contrast_after"] > 2 * result.stats["local_contrast_before"]
    assert 0.0 <= result.after.min() and result.after.max() <= 1.0


def test_local_contrast_equals_a_sliding_window_standard_deviation():
    image = RNG.random((30, 34))
    padded = np.pad(image, 7, mode="symmetric")  # scipy's "reflect" repeats the edge pixel
    expected = sliding_window_view(padded, (15, 15)).std(axis=(-1, -2)).mean()
    assert local_contrast(image, 15) == pytest.approx(expected, rel=1e-9)


# ------------------------------------------------------------------ edges


def test_edges_match_scipy_sobel_magnitude_and_otsu_fraction(camera):
    result = apply_op("edges", camera)
    gray = camera.pixels
    gx = ndimage.sobel(gray, axis=1, mode="reflect")
    gy = ndimage.sobel(gray, axis=0, mode="reflect")
    magnitude = np.hypot(gx, gy)
    # skimage normalises each 3×3 kernel by 4 and averages the two squared directions
    assert np.allclose(result.after, magnitude / (4 * np.sqrt(2)), atol=1e-12)
    threshold = filters.threshold_otsu(magnitude)
    assert result.stats["edge_pixel_fraction"] == pytest.approx(np.mean(magnitude > threshold), abs=1e-4)
    assert result.stats["edge_threshold"] == pytest.approx(threshold / (4 * np.sqrt(2)), abs=1e-4)


def test_hand_made_3x3_kernel_finds_a_vertical_step():
    step = np.zeros((32, 32))
    step[:, 16:] = 1.0
    result = apply_op("edges", loaded(step))
    kernel = np.array([[1, 0, -1], [2, 0, -2], [1, 0, -1]], float)  # hand Sobel-x
    gx = ndimage.correlate(step, kernel, mode="reflect")
    assert np.allclose(result.after * 4 * np.sqrt(2), np.abs(gx))
    assert np.array_equal(result.mask, np.abs(gx) > 0)  # exactly the two columns at the step


# ------------------------------------------------------------------ blur / sharpen


def test_blur_equals_scipy_gaussian_per_channel_and_reduces_variance(chelsea):
    result = apply_op("blur", chelsea)
    sigma = filter_scale(chelsea)
    expected = ndimage.gaussian_filter(chelsea.pixels, sigma=(sigma, sigma, 0), mode="nearest", truncate=4.0)
    assert np.allclose(result.after, expected, atol=1e-9)
    assert result.stats["variance_after"] < result.stats["variance_before"]
    assert np.var(to_gray(result.after)) < np.var(to_gray(chelsea.pixels))
    assert result.stats["sharpness_after"] < result.stats["sharpness_before"] / 3


def test_sharpen_equals_unsharp_mask_formula_on_every_colour_channel(chelsea):
    result = apply_op("sharpen", chelsea)
    radius = filter_scale(chelsea)
    x = chelsea.pixels
    blurred = ndimage.gaussian_filter(x, sigma=(radius, radius, 0), mode="reflect", truncate=4.0)
    expected = np.clip(x + SHARPEN_AMOUNT * (x - blurred), 0.0, 1.0)
    assert np.allclose(result.after, expected, atol=1e-9)  # catches skimage issue #7264 (black output)
    assert result.stats["sharpness_after"] > 2 * result.stats["sharpness_before"]


# ------------------------------------------------------------------ threshold


def hand_otsu(gray: np.ndarray, bins: int = 256) -> float:
    """Otsu by hand: maximise the between-class variance over histogram cut points."""
    counts, edges = np.histogram(gray, bins=bins, range=(gray.min(), gray.max()))
    centres = (edges[:-1] + edges[1:]) / 2
    p = counts / counts.sum()
    w0 = np.cumsum(p)
    mu = np.cumsum(p * centres)
    with np.errstate(divide="ignore", invalid="ignore"):
        between = (mu[-1] * w0 - mu) ** 2 / (w0 * (1 - w0))
    return float(centres[np.nanargmax(between[:-1])])


def test_threshold_equals_otsu_recomputed_two_ways():
    coins = load_sample("coins")
    result = apply_op("threshold", coins)
    gray = coins.pixels
    assert result.stats["otsu_threshold"] == pytest.approx(filters.threshold_otsu(np.array(gray)), abs=1e-4)
    assert result.stats["otsu_threshold"] == pytest.approx(hand_otsu(gray), abs=1.5 / 255)
    assert result.stats["foreground_fraction"] == pytest.approx(np.mean(gray > filters.threshold_otsu(
        np.array(gray))), abs=1e-4)
    assert result.after.dtype == bool


def test_threshold_separates_a_two_level_image_between_the_levels():
    two = np.full((40, 40), 0.2)
    two[10:30, 10:30] = 0.8
    noisy = two + RNG.normal(0, 0.01, two.shape)
    result = apply_op("threshold", loaded(noisy))
    # every cut in the gap is equally good for Otsu: it must lie between the two clusters
    assert noisy[two == 0.2].max() - 0.01 <= result.stats["otsu_threshold"] <= noisy[two == 0.8].min()
    assert result.stats["foreground_fraction"] == pytest.approx(400 / 1600, abs=1e-3)


# ------------------------------------------------------------------ morphology


def test_opening_never_brightens_and_matches_scipy_grey_opening(camera):
    result = apply_op("morphology", camera)
    gray = camera.pixels
    assert np.all(result.after <= gray + 1e-12)
    footprint = morphology.disk(morphology_radius(camera)).astype(bool)
    expected = ndimage.grey_opening(gray, footprint=footprint, mode="reflect")
    assert np.allclose(result.after, expected)
    assert result.stats["mean_after"] <= result.stats["mean_before"]


def test_opening_with_a_large_decomposed_disk_is_still_exact():
    img = loaded(RNG.random((1100, 1100)))  # radius 6 → the "crosses" decomposition
    result = apply_op("morphology", img)
    footprint = morphology.disk(morphology_radius(img)).astype(bool)
    assert morphology_radius(img) >= 4
    assert np.allclose(result.after, ndimage.grey_opening(img.pixels, footprint=footprint, mode="reflect"))


def test_opening_removes_a_bright_dot_smaller_than_the_disk():
    flat = np.full((40, 40), 0.3)
    flat[20, 20] = 1.0
    result = apply_op("morphology", loaded(flat))
    assert np.allclose(result.after, 0.3)
    assert result.stats["max_removed"] == pytest.approx(0.7)


# ------------------------------------------------------------------ augment


def test_augment_panels_flip_crop_rotate_jitter(chelsea):
    result = apply_op("augment", chelsea, seed=5)
    panels = result.panels
    original = panels[0].pixels
    assert len(panels) == 8
    assert all(p.pixels.shape == original.shape for p in panels)
    assert np.array_equal(panels[1].pixels, original[:, ::-1])
    s = result.stats
    assert CROP_AREA_RANGE[0] - 0.02 <= s["crop_area_fraction"] <= CROP_AREA_RANGE[1] + 0.02
    assert abs(s["rotation_deg"]) <= ROTATION_MAX_DEG
    # rotation about the centre keeps the centre pixel (up to interpolation)
    h, w = original.shape[:2]
    centre = (slice(h // 2 - 1, h // 2 + 2), slice(w // 2 - 1, w // 2 + 2))
    assert np.abs(panels[3].pixels[centre] - original[centre]).mean() < 0.05
    # colour jitter with the reported factors, recomputed by hand (brightness then contrast...)
    assert np.allclose(panels[4].pixels, color_jitter(original, s["brightness_factor"], s["contrast_factor"],
                                                      s["saturation_factor"], s["hue_shift"]), atol=2e-3)


def test_augment_is_reproducible_per_seed(chelsea):
    a = apply_op("augment", chelsea, seed=1)
    b = apply_op("augment", chelsea, seed=1)
    c = apply_op("augment", chelsea, seed=2)
    assert a.stats == b.stats and np.array_equal(a.panels[-1].pixels, b.panels[-1].pixels)
    assert a.stats != c.stats


def test_brightness_jitter_scales_the_mean_and_hue_rotation_keeps_luma():
    x = RNG.uniform(0.2, 0.6, (20, 20, 3))
    assert color_jitter(x, 1.3, 1.0, 1.0, 0.0).mean() == pytest.approx(1.3 * x.mean())
    luma = np.array([0.299, 0.587, 0.114])  # YIQ's Y, written out independently
    rotated = hue_rotate(x, 0.25)
    assert np.allclose(rotated @ luma, x @ luma)
    assert np.allclose(hue_rotate(x, 0.0), x)
    assert np.allclose(hue_rotate(hue_rotate(x, 0.1), -0.1), x)


def test_augment_works_on_greyscale(camera):
    result = apply_op("augment", camera)
    assert result.stats["saturation_factor"] == 1.0 and result.stats["hue_shift"] == 0.0
    assert all(p.pixels.ndim == 2 for p in result.panels)


# ------------------------------------------------------------------ API, validation, speed


@pytest.mark.parametrize("op", OPS)
def test_result_json_has_the_documented_schema(op, camera):
    result = apply_op(op, camera)
    payload = json.loads(json.dumps(result.to_dict()))
    assert set(payload) == {"op", "width", "height", "stats", "summary"}
    assert (payload["width"], payload["height"]) == (512, 512)
    assert payload["stats"] and all(isinstance(v, (int, float)) and np.isfinite(v)
                                    for v in payload["stats"].values())
    assert 2 <= payload["summary"].count(". ") + 1 <= 6


def test_input_pixels_are_never_modified(chelsea):
    before = np.array(chelsea.pixels)
    for op in OPS:
        apply_op(op, chelsea)
    assert np.array_equal(chelsea.pixels, before)


def test_bad_arguments_raise_user_input_error():
    with pytest.raises(UserInputError, match="unknown op"):
        run_image_op("posterize")
    with pytest.raises(UserInputError, match="not both"):
        run_image_op("blur", image_bytes=b"x", sample="camera")
    with pytest.raises(UserInputError, match="unknown sample"):
        run_image_op("blur", sample="lena")
    with pytest.raises(UserInputError, match="not a PNG"):
        run_image_op("blur", image_bytes=b"plain text", filename="x.png")


def test_user_image_bytes_are_processed():
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(data.coins()).save(buf, "PNG")
    result = run_image_op("threshold", buf.getvalue(), "mine.png")
    assert result.source == "mine.png" and (result.width, result.height) == (384, 303)
    assert result.stats["otsu_threshold"] == pytest.approx(filters.threshold_otsu(data.coins() / 255.0), abs=1e-4)


@pytest.fixture(scope="module")
def two_megapixels() -> LoadedImage:
    from skimage import transform

    big = transform.resize(data.astronaut() / 255.0, (1150, 1730), order=1)  # 1.99 MP, colour
    return loaded(big, "big")


@pytest.mark.parametrize("op", OPS)
def test_each_op_works_on_the_largest_picture_a_user_may_send(op, two_megapixels):
    # how long it takes is a figure of bench/tools.py, not a test
    result = apply_op(op, two_megapixels)
    assert result.stats and all(np.isfinite(v) for v in result.stats.values())
