"""Local console: type the same slash commands as on Discord, no token needed.

``/ask why does relu help`` · ``/search otsu k:3`` · ``/explain relu`` · ``/help``. Options are
written Discord-style as ``name:value``; free text goes to the command's main text option.
Reads from a pipe too (one command per line), which makes it scriptable and testable.
"""

from __future__ import annotations

import logging
import re
import sys
import uuid
from pathlib import Path

from rich.console import Console

from bot.commands.registry import CommandSpec, all_commands, free_text_command, invoke, run_action
from bot.context import Attachment, Caller
from bot.frontends.local_files import read_local_attachment
from bot.frontends.text_render import render, save_images
from bot.llm.conversation import Conversation
from bot.reply import Action, Reply
from bot.services import Services
from tools.errors import UserInputError

log = logging.getLogger(__name__)

MAX_LINE_CHARS = 4_000
PROMPT = "tutor> "
_OPTION = re.compile(r"""(?<!\S)([a-z][a-z0-9_-]*):("[^"]*"|'[^']*'|\S+)""")


def parse_line(line: str) -> tuple[CommandSpec, dict[str, str]]:
    """``/name [words…] [opt:value …]`` → the command and its raw option values."""
    text = line.strip()
    if len(text) > MAX_LINE_CHARS:
        raise UserInputError(f"line too long ({len(text):,} characters); the limit is {MAX_LINE_CHARS:,}")
    if not text.startswith("/"):
        text = f"/{free_text_command().name} {text}"  # plain text is a question, like a mention on Discord
    words = text[1:].split()
    if not words:
        raise UserInputError("type a command such as /ask, /search or /help")
    spec = None
    consumed = 0
    registry = all_commands()
    for n in (3, 2, 1):  # longest command name first: "demo focal-loss" before "demo"
        name = " ".join(words[:n]).lower()
        if name in registry:
            spec, consumed = registry[name], n
            break
    if spec is None:
        raise UserInputError(f"unknown command /{words[0][:40]}; type /help for the list of commands")
    rest = text[1:].split(None, consumed)[consumed] if len(words) > consumed else ""
    args: dict[str, str] = {}
    names = {o.name for o in spec.options}

    def take(match: re.Match[str]) -> str:
        key, value = match.group(1), match.group(2)
        if key not in names:
            return match.group(0)
        args[key] = value[1:-1] if value[:1] in "\"'" and value[-1:] == value[:1] else value
        return " "

    free = " ".join(_OPTION.sub(take, rest).split())
    if free:
        target = next((o for o in spec.options if o.rest_of_line and o.name not in args), None)
        target = target or next((o for o in spec.options if o.required and o.name not in args), None)
        if target is None:
            raise UserInputError(f"unexpected text {free[:40]!r}; usage: {spec.usage()}")
        args[target.name] = free
    return spec, args


def handle_line(services: Services, line: str, conversation: Conversation | None = None) -> Reply:
    """Run one console line; never raises (errors become error Replies). ``conversation``: the
    session's earlier questions and answers, so a follow-up ("and for tanh?") stays on topic;
    an answered question is added to it."""
    try:
        spec, args = parse_line(line)
        files = {o.name: o for o in spec.options if o.type is Attachment}
        args = {k: (read_local_attachment(Path(v), files[k].max_bytes, files[k].file_kind) if k in files else v)
                for k, v in args.items()}
        history = conversation.turns() if conversation is not None and spec.wants_history else ()
        reply = invoke(spec.name, services, args, Caller.local(), history)
        if conversation is not None and spec.wants_history and not reply.is_error and not reply.data.get("abstained"):
            conversation.add(str(args.get("question", "")), str(reply.data.get("answer", reply.text)))
        return reply
    except UserInputError as err:
        return Reply.error(str(err))
    except Exception:  # a bug: keep the console alive and give the user an id to report
        error_id = uuid.uuid4().hex[:8]
        log.exception("command failed (error id %s): %r", error_id, line[:200])
        return Reply.error(f"something went wrong on our side (error id {error_id}); it has been logged")


def chosen_action(actions: tuple[Action, ...], line: str) -> Action | None:
    """The button a typed line presses: its number, or its key (``h`` for a hint)."""
    if line.isdigit() and 1 <= int(line) <= len(actions):
        return actions[int(line) - 1]
    return next((a for a in actions if a.key and a.key == line.lower()), None)


def press(services: Services, actions: tuple[Action, ...], line: str) -> Reply:
    """A number (or a key) typed after a reply with buttons presses that button (console has no buttons)."""
    action = chosen_action(actions, line)
    assert action is not None
    try:
        return run_action(action.command, action.payload, services, Caller.local())
    except UserInputError as err:
        return Reply.error(str(err))


def run_console(services: Services, stdin=None, console: Console | None = None) -> None:
    stdin = stdin or sys.stdin
    console = console or Console()
    interactive = stdin.isatty()
    actions: tuple[Action, ...] = ()
    conversation = Conversation(services.settings.llm_history_turns)
    if interactive:
        console.print("[bold cyan]ML tutor console[/] — same commands as the Discord bot. "
                      "Try [bold]/help[/], [bold]/roadmap[/] or just type a question. Ctrl-D quits.")
    while True:
        try:
            line = console.input(PROMPT) if interactive else stdin.readline()
        except (EOFError, KeyboardInterrupt):
            break
        if not interactive and line == "":
            break
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line in {"/quit", "/exit", "quit", "exit"}:
            break
        if not interactive:
            console.print(f"[dim]{PROMPT}{line}[/]", markup=True, highlight=False)
        if chosen_action(actions, line) is not None:
            reply = press(services, actions, line)
        else:
            reply = handle_line(services, line, conversation)
        actions = reply.actions
        paths = save_images(reply, services.settings.output_dir) if reply.images else []
        render(console, reply, paths)
