"""``tutor kb add|list|remove|export`` and ``tutor gaps``: server notes and the gap log, locally.

The CLI is the local admin (trusted) of the local "server" (guild ``None``): notes added here
are what ``tutor ask`` and the console cite. Wire it into the CLI with ``register(app)``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from bot.commands.notes_cmds import NOTE_FILE_KIND
from bot.commands.registry import invoke
from bot.context import Caller
from bot.frontends.cli_common import JsonFlag, show_reply
from bot.frontends.local_files import read_local_attachment
from bot.services import Services
from knowledge.notes import MAX_NOTE_BYTES


def _run(command: str, args: dict[str, object], as_json: bool) -> None:
    """Run a notes command as the local admin; a note export is printed, not saved as a file."""
    show_reply(invoke(command, Services(), args, Caller.local()), as_json, save=False)


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
        note = read_local_attachment(file, MAX_NOTE_BYTES, kind=NOTE_FILE_KIND)
        _run("kb add", {"title": title, "file": note, "topic": topic}, as_json)

    @kb_app.command("list")
    def kb_list(as_json: JsonFlag = False) -> None:
        """List the notes."""
        _run("kb list", {}, as_json)

    @kb_app.command("remove")
    def kb_remove(note_id: Annotated[int, typer.Argument(metavar="ID", help="The note's number (tutor kb list).")],
                  as_json: JsonFlag = False) -> None:
        """Remove a note; answers stop citing it at once."""
        _run("kb remove", {"id": note_id}, as_json)

    @kb_app.command("export")
    def kb_export() -> None:
        """Print every note (with its text) as JSON."""
        _run("kb export", {}, True)

    @app.command("gaps")
    def gaps(
        resolve: Annotated[Optional[int], typer.Option("--resolve", help="Mark this group resolved.")] = None,
        limit: Annotated[int, typer.Option("--limit", help="How many groups (1-25).")] = 10,
        as_json: JsonFlag = False,
    ) -> None:
        """Questions the bot could not answer, grouped by meaning, largest first."""
        if resolve is not None:
            _run("gaps resolve", {"group": resolve}, as_json)
        else:
            _run("gaps", {"limit": limit}, as_json)
