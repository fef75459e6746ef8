"""``tutor demo image [PATH] --op OP``: image processing on a bundled sample or your own file.

The file's size is checked before it is read; its contents are validated by the tool (format by
content, pixel limits before decoding). Option values are passed as text so the command registry
gives the same one-line errors as on Discord.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from bot.commands.registry import Attachment
from bot.frontends.cli_demo import demo_app, run_demo
from bot.frontends.local_files import read_local_attachment
from tools.errors import UserInputError
from tools.image_loader import FORMAT_NAMES, MAX_IMAGE_BYTES, SAMPLES
from tools.image_ops import OPS


def read_image_file(path: Path) -> Attachment:
    """The file as an :class:`Attachment`; never reads more than the size limit."""
    return read_local_attachment(path, MAX_IMAGE_BYTES, kind=f"an image file ({FORMAT_NAMES})")


@demo_app.command("image")
def image(
    path: Annotated[Optional[Path], typer.Argument(
        help=f"Your image ({FORMAT_NAMES}, up to {MAX_IMAGE_BYTES // 2**20} MB); default: a bundled sample.",
        show_default=False)] = None,
    op: Annotated[Optional[str], typer.Option("--op", metavar="OP", help=" | ".join(OPS))] = None,
    sample: Annotated[Optional[str], typer.Option(
        "--sample", metavar="NAME", help="Bundled sample: " + " | ".join(SAMPLES))] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")] = False,
    out: Annotated[Optional[Path], typer.Option("--out", metavar="PNG", help="Save the picture here.")] = None,
) -> None:
    """Equalise, CLAHE, edges, blur, sharpen, threshold, morphology or augment an image."""
    if op is None:
        raise UserInputError(f"give --op, one of {' | '.join(OPS)} (e.g. tutor demo image --op edges)")
    args: dict[str, object] = {"op": op, "sample": sample}
    if path is not None:
        args["attachment"] = read_image_file(path)
    run_demo("image", args, as_json, out)
