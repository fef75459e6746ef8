"""What every ``tutor`` subcommand shares: the ``--json`` flag, JSON on stdout, a Reply printed
as text or JSON (its PNGs saved), and the usage error that exits with status 2."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from bot.frontends.text_render import render, save_images
from bot.reply import Reply
from bot.settings import get_settings
from tools.errors import UserInputError

JSON_HELP = "Print machine-readable JSON."
JsonFlag = Annotated[bool, typer.Option("--json", help=JSON_HELP)]

stdout = Console(soft_wrap=False)
stderr = Console(stderr=True)


class CliUsageError(UserInputError):
    pass


def emit_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


def show_reply(reply: Reply, as_json: bool, out: Path | None = None, save: bool = True) -> None:
    """Text (rich) or JSON (``reply.data``); the reply's PNGs are saved first (``out`` names the
    first) and JSON gains ``"images": [paths]``."""
    paths = save_images(reply, get_settings().output_dir, out) if save and reply.images else []
    if as_json:
        data = reply.data
        if paths and isinstance(data, dict):
            data = {**data, "images": [str(p) for p in paths]}
        emit_json(data)
    else:
        render(stdout, reply, paths, show_actions=False)  # one shot: nobody reads a choice afterwards
