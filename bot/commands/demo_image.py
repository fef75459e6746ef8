"""/image: classic image processing for deep learning on a sample or the user's own picture."""

from __future__ import annotations

from bot.commands.registry import Option, command
from bot.context import Attachment
from bot.reply import Image, Reply, Table
from tools.demo_inputs import IMAGE_OP_TITLES as TITLES
from tools.image_loader import FORMAT_NAMES, MAX_IMAGE_BYTES, SAMPLES
from tools.image_ops import OPS, run_image_op

MAX_TABLE_ROWS = 12


def _format(value: float) -> str:
    return f"{value:.4g}"


@command("image", "Image processing for deep learning: equalise, edges, blur, threshold, augment…",
         Option("op", "What to do to the image", required=True, choices=OPS),
         Option("attachment", f"Your image ({FORMAT_NAMES}, up to {MAX_IMAGE_BYTES // 2**20} MB); "
                              f"default: a bundled sample", type=Attachment, max_bytes=MAX_IMAGE_BYTES,
                file_kind=f"an image file ({FORMAT_NAMES})", cli="PATH"),
         Option("sample", "A bundled sample image (default: the best one for the op)", choices=tuple(SAMPLES)),
         example="/image op:clahe sample:moon", heavy=True, cli="demo image")
def image_command(services, op: str, attachment: Attachment | None = None, sample: str | None = None) -> Reply:
    from tools.charts.image_ops import render_image_op  # heavy (matplotlib): imported in the worker

    if attachment is not None:
        result = run_image_op(op, attachment.data, attachment.filename, sample=sample)
    else:
        result = run_image_op(op, sample=sample)
    rows = tuple((name.replace("_", " "), _format(value)) for name, value in result.stats.items())
    if op == "augment":
        alt = f"A grid of training augmentations of {result.source}: flip, crop, rotation, colour jitter."
    else:
        alt = f"{TITLES[op]} of {result.source}: before and after images with their histograms."
    return Reply(
        text=result.summary,
        title=f"Image: {TITLES[op]}",
        images=(Image(f"image-{op}.png", render_image_op(result), alt),),
        tables=(Table(("statistic", "value"), rows[:MAX_TABLE_ROWS]),),
        data=result.to_dict(),
    )

