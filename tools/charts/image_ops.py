"""PNG for :mod:`tools.image_ops`: before/after panels with histograms, or the augmentation grid."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from matplotlib.lines import Line2D

from tools.demo_inputs import IMAGE_OP_TITLES
from tools.image_ops import HIST_BINS, ImageOpResult, to_gray
from tools.plotting import figure_to_png, house_style, new_figure

TITLES = IMAGE_OP_TITLES
BEFORE_COLOUR = "#555555"
AFTER_COLOUR = "#1f77b4"
DISPLAY_MAX_SIDE_PX = 900  # arrays are subsampled to this before drawing (the PNG is smaller anyway)


@dataclass
class View:
    title: str
    pixels: np.ndarray
    cmap: str | None = "gray"
    vmax: float = 1.0


@dataclass
class Hist:
    title: str
    series: list[tuple[str, np.ndarray, str]]  # (label, values, colour)
    xlabel: str = "intensity (0 = black, 1 = white)"
    vline: tuple[float, str] | None = None  # (x, label)
    log_y: bool = False
    cdf: bool = False
    note: str = ""
    xmax: float = 1.0


def _display(pixels: np.ndarray) -> np.ndarray:
    step = int(np.ceil(max(pixels.shape[:2]) / DISPLAY_MAX_SIDE_PX))
    return pixels[::step, ::step] if step > 1 else pixels


def _show(ax, view: View) -> None:
    pixels = _display(view.pixels)
    if pixels.ndim == 3:
        ax.imshow(np.clip(pixels, 0, 1), interpolation="antialiased")
    else:
        ax.imshow(pixels.astype(float), cmap=view.cmap, vmin=0.0, vmax=view.vmax, interpolation="antialiased")
    ax.set_title(view.title, fontsize=11)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.grid(False)


def _hist(ax, spec: Hist) -> None:
    top = spec.xmax
    edges = np.linspace(0.0, top, HIST_BINS + 1)
    for label, values, colour in spec.series:
        counts, _ = np.histogram(values, bins=edges)
        share = counts / max(1, values.size)
        ax.stairs(share, edges, fill=True, alpha=0.35, color=colour)
        ax.stairs(share, edges, color=colour, lw=1.4, label=label)
        if spec.cdf:
            twin = getattr(ax, "_cdf_twin", None) or ax.twinx()
            ax._cdf_twin = twin  # type: ignore[attr-defined]
            cdf = np.cumsum(counts) / max(1, values.size)
            twin.plot(edges[1:], cdf, color=colour, lw=1.8, ls="--")
            twin.set_ylim(0, 1.02)
            twin.set_ylabel("cumulative share (dashed)")
            twin.grid(False)
    if spec.vline is not None:
        x, label = spec.vline
        ax.axvline(x, color="#d62728", lw=2, label=label)
    if spec.log_y:
        ax.set_yscale("log")
    ax.set_xlim(0, top)
    ax.set_xlabel(spec.xlabel)
    ax.set_ylabel("share of pixels" + (" (log)" if spec.log_y else ""))
    ax.set_title(spec.title, fontsize=11)
    handles, _ = ax.get_legend_handles_labels()
    if spec.cdf:  # the CDFs live on the twin axis, which loc="best" cannot see
        handles.append(Line2D([], [], color="#777777", ls="--", lw=1.8, label="CDF (right axis)"))
    legend = ax.legend(handles=handles, loc="upper left" if spec.cdf else "best", fontsize=9,
                       framealpha=0.92, title=spec.note or None, title_fontsize=9.5)
    legend.set_zorder(5)


def _zoom_box(shape: tuple[int, ...]) -> tuple[slice, slice]:
    """The central quarter-width square: enough to see pixels change."""
    h, w = shape[:2]
    side = max(8, min(h, w) // 4)
    top, left = (h - side) // 2 - side // 3, (w - side) // 2
    top = max(0, top)
    return slice(top, top + side), slice(left, left + side)


def _plan(result: ImageOpResult) -> tuple[list[View], list[Hist], bool]:
    """Top-row views, bottom-row histograms, and whether to add a zoomed row."""
    s = result.stats
    before, after = result.before, result.after
    g0 = to_gray(before)
    colour = before.ndim == 3
    before_view = View("before" + (" (colour)" if colour else ""), before)
    op = result.op
    if op == "equalize" or op == "clahe":
        label = "equalised" if op == "equalize" else "CLAHE"
        views = [View("before (greyscale)", g0), View(f"after: {label}", after)]
        note = (f"contrast {s['contrast_before']:.3f} → {s['contrast_after']:.3f}" if op == "equalize" else
                f"local contrast {s['local_contrast_before']:.3f} → {s['local_contrast_after']:.3f}")
        series = [("before", g0.ravel(), BEFORE_COLOUR), ("after", after.ravel(), AFTER_COLOUR)]
        title = "intensity histogram and CDF" if op == "equalize" else "intensity histogram"
        hists = [Hist(title, series, cdf=op == "equalize", note=note)]
        return views, hists, False
    if op == "edges":
        views = [View("before (greyscale)", g0),
                 View(f"Sobel gradient magnitude (edges: {s['edge_pixel_fraction']:.1%} of pixels)",
                      after, cmap="magma", vmax=max(float(after.max()), 1e-9))]
        hists = [Hist("input intensities", [("before", g0.ravel(), BEFORE_COLOUR)]),
                 Hist("gradient magnitudes", [("Sobel magnitude", after.ravel(), AFTER_COLOUR)],
                      xlabel="gradient magnitude", log_y=True, xmax=max(float(after.max()), 1e-9),
                      vline=(s["edge_threshold"], f"Otsu threshold {s['edge_threshold']:.3f}"),
                      note=f"{s['edge_pixel_fraction']:.1%} of pixels are edges")]
        return views, hists, False
    if op == "threshold":
        views = [View("before (greyscale)", g0),
                 View(f"after: foreground = brighter than {s['otsu_threshold']:.3f}", after.astype(float))]
        fg, bg = g0[after], g0[~after]
        hists = [Hist("intensity histogram split by Otsu's threshold",
                      [("background", bg.ravel(), BEFORE_COLOUR), ("foreground", fg.ravel(), AFTER_COLOUR)],
                      vline=(s["otsu_threshold"], f"Otsu threshold {s['otsu_threshold']:.3f} "
                                                  f"(≈{s['otsu_threshold_8bit']:.0f}/255)"),
                      note=f"foreground {s['foreground_fraction']:.1%} of pixels")]
        return views, hists, False
    if op == "morphology":
        removed = g0 - after
        r = int(s["footprint_radius_px"])
        views = [View("before (greyscale)", g0), View(f"after: opening, disk radius {r} px", after),
                 View("removed bright details (before − after)", removed, cmap="magma",
                      vmax=max(float(removed.max()), 1e-9))]
        hists = [Hist("intensity histogram", [("before", g0.ravel(), BEFORE_COLOUR),
                                              ("after", after.ravel(), AFTER_COLOUR)],
                      note=f"mean {s['mean_before']:.3f} → {s['mean_after']:.3f}\n"
                           f"{s['changed_pixel_fraction']:.1%} of pixels darker")]
        return views, hists, False
    # blur, sharpen: colour kept; histograms of luminance; a zoomed row shows the detail.
    label = f"after: blur σ = {s['sigma_px']:.1f} px" if op == "blur" else \
        f"after: unsharp mask, radius {s['radius_px']:.1f} px, amount {s['amount']:g}"
    views = [before_view, View(label, after)]
    note = f"sharpness {s['sharpness_before']:.3g} → {s['sharpness_after']:.3g}\n(Laplacian variance ×1000)"
    hists = [Hist("luminance histogram", [("before", g0.ravel(), BEFORE_COLOUR),
                                          ("after", to_gray(after).ravel(), AFTER_COLOUR)], note=note)]
    return views, hists, True


def _render_before_after(result: ImageOpResult) -> bytes:
    views, hists, zoom = _plan(result)
    n = len(views)
    h, w = result.before.shape[:2]
    aspect = h / w
    width_in = 12.0 if n == 3 else 10.0
    img_h = min(4.8, width_in / n * aspect) + 0.5
    rows = [img_h] + ([min(3.8, width_in / n) + 0.4] if zoom else []) + [3.0]
    with house_style():
        fig = new_figure(width_in, sum(rows) + 0.7)
        grid = fig.add_gridspec(len(rows), n * len(hists), height_ratios=rows)
        per = len(hists)
        for i, view in enumerate(views):
            _show(fig.add_subplot(grid[0, i * per:(i + 1) * per]), view)
        if zoom:
            ys, xs = _zoom_box(result.before.shape)
            for i, view in enumerate(views):
                ax = fig.add_subplot(grid[1, i * per:(i + 1) * per])
                _show(ax, View(f"zoom: {view.title.split(':')[0]}", view.pixels[ys, xs], view.cmap, view.vmax))
                ax.set_title(f"zoom ({xs.stop - xs.start}×{ys.stop - ys.start} px): "
                             f"{view.title.split(':')[0]}", fontsize=10)
                for im in ax.get_images():  # nearest neighbour: show the real pixels
                    im.set_interpolation("nearest")
            # mark the zoomed area on the full-size panels
            from matplotlib.patches import Rectangle

            for ax in fig.axes[:n]:
                step = int(np.ceil(max(h, w) / DISPLAY_MAX_SIDE_PX))
                ax.add_patch(Rectangle((xs.start / step - 0.5, ys.start / step - 0.5),
                                       (xs.stop - xs.start) / step, (ys.stop - ys.start) / step,
                                       fill=False, ec="#ffdd00", lw=1.8))
        for j, spec in enumerate(hists):
            _hist(fig.add_subplot(grid[-1, j * n:(j + 1) * n]), spec)
        fig.suptitle(f"{TITLES[result.op]} — {result.source} ({result.width}×{result.height})", fontsize=14)
        return figure_to_png(fig)


def _render_augment(result: ImageOpResult) -> bytes:
    panels = result.panels
    cols = 4
    rows = int(np.ceil(len(panels) / cols))
    h, w = panels[0].pixels.shape[:2]
    width_in = 13.0
    with house_style():
        fig = new_figure(width_in, rows * (width_in / cols * h / w + 0.45) + 0.6)
        axes = fig.subplots(rows, cols, squeeze=False)
        for ax, panel in zip(axes.ravel(), panels):
            _show(ax, View(panel.label, panel.pixels))
            ax.title.set_fontsize(10)
        for ax in axes.ravel()[len(panels):]:
            ax.set_visible(False)
        fig.suptitle(f"{TITLES['augment']} — {result.source}: top row one at a time, "
                     f"then random combinations", fontsize=14)
        return figure_to_png(fig)


def render_image_op(result: ImageOpResult) -> bytes:
    if result.op == "augment":
        return _render_augment(result)
    return _render_before_after(result)


