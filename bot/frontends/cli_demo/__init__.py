"""``tutor demo NAME …``: one module per demo family, each adding its subcommands to
:data:`demo_app` on import (all modules here are imported by :mod:`bot.frontends.cli`)."""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path
from typing import Any

import typer

demo_app = typer.Typer(help="Run a demo: real computations with numbers and plots.", no_args_is_help=True)


def run_demo(command: str, args: dict[str, Any], as_json: bool = False, out: Path | None = None) -> None:
    """Invoke a registered command and print its Reply (text or JSON, PNGs saved to disk).

    ``--out PNG`` names the first image; JSON gains ``"images": [paths]``. User errors raise
    :class:`~tools.errors.UserInputError`, which the CLI's ``main`` turns into exit status 2.
    """
    from bot.commands import invoke
    from bot.frontends.cli import show_reply
    from bot.services import Services

    show_reply(invoke(command, Services(), args), as_json, out)


def load_all() -> None:
    for module in sorted(m.name for m in pkgutil.iter_modules(__path__)):
        if not module.startswith("_"):
            importlib.import_module(f"{__name__}.{module}")
