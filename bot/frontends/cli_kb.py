"""``tutor kb add|list|remove|export`` and ``tutor gaps``: server notes and the gap log, locally.

The CLI is the local admin (trusted) of the local "server" (guild ``None``): notes added here
are what ``tutor ask`` and the console cite. Wire it into the CLI with ``register(app)``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console

from bot.commands.registry import Attachment, Caller, invoke
from bot.frontends.text_render import render
from bot.services import Services
from knowledge.notes import MAX_NOTE_BYTES
from tools.errors import UserInputError

JsonFlag = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]


def _show(reply, as_json: bool) -> None:
    if as_json:
        sys.stdout.write(json.dumps(reply.data, ensure_ascii=False, indent=2) + "\n")
    else:
        render(Console(soft_wrap=False), reply)


def read_note_file(path: Path) -> Attachment:
    try:
        size = path.stat().st_size
        if size > MAX_NOTE_BYTES:
            raise UserInputError(f"{path.name} is {size / 1024:.1f} KB; the limit is 50 KB of text")
        return Attachment(path.name, path.read_bytes(), None)
    except FileNotFoundError:
        raise UserInputError(f"note file not found: {path} (expected a .md or .txt file)") from None
    except IsADirectoryError:
        raise UserInputError(f"{path} is a folder; expected a .md or .txt file") from None
    except OSError as exc:
        raise UserInputError(f"cannot read {path}: {exc.__class__.__name__}") from None


def register(app: typer.Typer) -> None:
    kb_app = typer.Typer(help="Server notes the bot cites (the local server).", no_args_is_help=True)
    app.add_typer(kb_app, name="kb")

    @kb_app.command("add")
    def kb_add(
        file: Annotated[Path, typer.Argument(help="A Markdown or text file (up to 50 KB).")],
        title: Annotated[str, typer.Option("--title", help="A short title (up to 100 characters).")],
        topic: Annotated[Optional[str], typer.Option("--topic", help="The article it belongs to, e.g. relu.")] = None,
        as_json: JsonFlag = False,
    ) -> None:
        """Add a note; `tutor ask` cites it from now on."""
        args = {"title": title, "file": read_note_file(file), "topic": topic}
        _show(invoke("kb add", Services(), args, Caller.local()), as_json)

    @kb_app.command("list")
    def kb_list(as_json: JsonFlag = False) -> None:
        """List the notes."""
        _show(invoke("kb list", Services(), {}, Caller.local()), as_json)

    @kb_app.command("remove")
    def kb_remove(note_id: Annotated[int, typer.Argument(metavar="ID", help="The note's number (tutor kb list).")],
                  as_json: JsonFlag = False) -> None:
        """Remove a note; answers stop citing it at once."""
        _show(invoke("kb remove", Services(), {"id": note_id}, Caller.local()), as_json)

    @kb_app.command("export")
    def kb_export() -> None:
        """Print every note (with its text) as JSON."""
        _show(invoke("kb export", Services(), {}, Caller.local()), True)

    @app.command("gaps")
    def gaps(
        resolve: Annotated[Optional[int], typer.Option("--resolve", help="Mark this group resolved.")] = None,
        limit: Annotated[int, typer.Option("--limit", help="How many groups (1-25).")] = 10,
        as_json: JsonFlag = False,
    ) -> None:
        """Questions the bot could not answer, grouped by meaning, largest first."""
        if resolve is not None:
            _show(invoke("gaps resolve", Services(), {"group": resolve}, Caller.local()), as_json)
        else:
            _show(invoke("gaps", Services(), {"limit": limit}, Caller.local()), as_json)
