"""Server notes: ``/kb add``, ``/kb list``, ``/kb remove``, ``/kb export``.

A note is a trusted member's answer (Markdown or plain text, at most 50 KB) that the bot then
cites like an article, as "Server note: <title> (by <author>)", in that server only. Adding or
removing a note takes effect at once (see :mod:`knowledge.notes`). Changing notes needs
``caller.is_trusted`` (Discord: Manage Server or the configured trusted role; the console and
the CLI are the local admin).
"""

from __future__ import annotations

import getpass
import json
import time
from typing import TYPE_CHECKING

from bot.commands.registry import CommandSpec, Option, register, require_trusted
from bot.context import Attachment, Caller
from bot.reply import Image, Reply
from knowledge.notes import MAX_NOTE_BYTES, MAX_NOTES_PER_GUILD, MAX_TITLE_CHARS, Note
from tools.errors import UserInputError
from tools.text import clip

if TYPE_CHECKING:
    from bot.services import Services

EXPORT_FILE = "server-notes.json"
NOTE_FILE_KIND = "a .md or .txt file"


def author_name(caller: Caller) -> str:
    if caller.user_id == 0 and caller.guild_id is None:  # the console / CLI
        try:
            return getpass.getuser()
        except Exception:
            return "local admin"
    return caller.display_name or str(caller.user_id)


def _when(ts: float) -> str:
    return time.strftime("%Y-%m-%d", time.gmtime(ts))


def note_line(note: Note) -> str:
    topic = f" · `{note.topic}`" if note.topic else ""
    return (f"**#{note.id}** {note.title}{topic} · by {note.author_name or 'unknown'} · {_when(note.created)}"
            f" · {len(note.text.encode()) / 1024:.1f} KB")


def save_note(services: Services, caller: Caller, title: str, data: bytes | str, topic: str | None = None,
              filename: str = "the note") -> Note:
    """The one path every front end uses to store a note (``/kb add``, "Save as answer", CLI)."""
    require_trusted(caller, "add server notes")
    _ = services.kb  # notes are attached to the knowledge base: load it before the first note
    return services.notes.add(caller.guild_id, title, data, topic, caller.user_id, author_name(caller), filename)


def kb_add(services: Services, title: str, caller: Caller, text: str | None = None, file: Attachment | None = None,
           topic: str | None = None) -> Reply:
    require_trusted(caller, "add server notes")
    if (text is None or not text.strip()) == (file is None):
        if file is None:
            raise UserInputError("give the note as text:<…> or attach a .md/.txt file:<…> (one of them)")
        raise UserInputError("give the note either as text or as a file, not both")
    if file is not None:
        note = save_note(services, caller, title, file.data, topic, file.filename[:60])
    else:
        note = save_note(services, caller, title, text or "", topic)
    left = MAX_NOTES_PER_GUILD - services.notes.count(caller.guild_id)
    return Reply(
        text=(f"Saved {note_line(note)}.\nIt is searchable now: `/ask` cites it as "
              f"*Server note: {note.title} (by {note.author_name})*. {left} of {MAX_NOTES_PER_GUILD} notes left."),
        title="Server note saved", data=note.as_dict(), ephemeral=True)


def kb_list(services: Services, caller: Caller) -> Reply:
    _ = services.kb
    notes = services.notes.notes_of(caller.guild_id)
    lines = [note_line(n) for n in notes] or ["No server notes yet. Trusted members add them with `/kb add`."]
    return Reply(text="\n".join(lines), title=f"Server notes ({len(notes)}/{MAX_NOTES_PER_GUILD})",
                 data=[n.as_dict() for n in notes], ephemeral=True)


def kb_remove(services: Services, id: int, caller: Caller) -> Reply:  # noqa: A002 (option name)
    require_trusted(caller, "remove server notes")
    _ = services.kb
    note = services.notes.remove(caller.guild_id, id)
    return Reply(text=f"Removed note #{note.id} **{note.title}**; answers no longer use it.",
                 title="Server note removed", data=note.as_dict(), ephemeral=True)


def kb_export(services: Services, caller: Caller) -> Reply:
    require_trusted(caller, "export server notes")
    _ = services.kb
    notes = services.notes.notes_of(caller.guild_id)
    data = [n.as_dict(with_text=True) for n in notes]
    blob = json.dumps(data, ensure_ascii=False, indent=2).encode()
    text = "\n".join(note_line(n) for n in notes) or "No server notes to export."
    return Reply(text=text, title=f"Export: {len(notes)} server notes", data=data, ephemeral=True,
                 images=(Image(EXPORT_FILE, blob, "server notes as JSON"),))


def save_answer(services: Services, caller: Caller, message: str | None = None, replied_to: str | None = None) -> Reply:
    """A trusted member's reply to a question, saved as a note ("Q: …  A: …"); the gap groups the
    question belongs to are resolved."""
    require_trusted(caller, "save answers")
    if replied_to is None:
        raise UserInputError("use Save as answer on a reply to a question (the reply is the answer)")
    question, answer = " ".join(replied_to.split()), (message or "").strip()
    if not question or not answer:
        raise UserInputError("I couldn't read the question or the answer text of those messages")
    note = save_note(services, caller, clip(question, MAX_TITLE_CHARS), f"Q: {question}\n\nA: {answer}", None,
                     "the answer")
    resolved = services.gaps.resolve_matching(caller.guild_id, question, note.id)
    done = f" and resolved {sum(g.count for g in resolved)} logged question(s)" if resolved else ""
    return Reply(text=f"Saved as server note #{note.id} “{note.title}”{done}. `/ask` cites it from now on.",
                 title="Saved as answer", ephemeral=True, notice=True,
                 data={**note.as_dict(), "resolved": [g.as_dict() for g in resolved]})


TITLE = Option("title", f"A short title (up to {MAX_TITLE_CHARS} characters)", required=True, max_length=MAX_TITLE_CHARS)
register(CommandSpec(
    "kb add", "Add a server note the bot can cite (trusted members)", kb_add,
    (TITLE,
     Option("text", "The note, as text (or attach a file); at most 50 KB"),
     Option("file", "A Markdown or text file (up to 50 KB)", type=Attachment, max_bytes=MAX_NOTE_BYTES,
            file_kind=NOTE_FILE_KIND),
     Option("topic", "The article it belongs to, e.g. relu (optional)", max_length=60)),
    example="/kb add title:Office hours text:Thursdays 5pm in room B12", wants_caller=True, ephemeral=True,
    trusted_only=True, form="text", server_only=True))
register(CommandSpec("kb list", "List this server's notes", kb_list, (), example="/kb list", wants_caller=True,
                     ephemeral=True, server_only=True))
register(CommandSpec(
    "kb remove", "Remove a server note (trusted members)", kb_remove,
    (Option("id", "The note's number, from /kb list", type=int, required=True, min_value=1, max_value=2**40),),
    example="/kb remove id:3", wants_caller=True, ephemeral=True, trusted_only=True, server_only=True))
register(CommandSpec("kb export", "Export this server's notes as JSON (trusted members)", kb_export, (),
                     example="/kb export", wants_caller=True, ephemeral=True, trusted_only=True, server_only=True))
register(CommandSpec(
    "kb save-answer", "Save a reply to a question as a server note (trusted members)", save_answer,
    (Option("message", "The answer: the reply's text", max_length=MAX_NOTE_BYTES),
     Option("replied_to", "The question: the text of the message it replies to", max_length=MAX_NOTE_BYTES)),
    hidden=True, wants_caller=True, ephemeral=True, trusted_only=True, message_menu="Save as answer",
    server_only=True))
