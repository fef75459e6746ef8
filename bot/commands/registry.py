"""One registry of commands feeds every front end: Discord, the console, the CLI, /help and the
LLM's tool schemas.

A command is a name ("ask", "demo focal-loss"), typed options with bounds, and a handler that
returns a :class:`~bot.reply.Reply`. :func:`invoke` coerces and validates raw option values
(strings from the console and the CLI, typed values from Discord) so every front end rejects bad
input with the same one-line message. What a front end does differently for a command (stream
it, refuse it early, open a form, put it under ``/admin``, spell a flag) is declared here as a
field of the spec, so front ends look at fields, never at command names.
"""

from __future__ import annotations

import importlib
import math
import pkgutil
import re
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.context import CONSOLE, DISCORD, MAX_ATTACHMENT_BYTES, Attachment, Caller, ChannelRef
from bot.reply import Reply
from tools.errors import NotAllowed, UserInputError

if TYPE_CHECKING:
    from bot.llm.conversation import Turn
    from bot.services import Services

Handler = Callable[..., Reply]
StreamHandler = Callable[..., AsyncIterator[Any]]  # yields bot.llm.streaming.Edit, the last one final
Suggest = Callable[[Any, str], list[tuple[str, str]]]  # (services, typed so far) -> [(label, value)]

ADMIN_GROUP = "admin"


def plain_number(value: float) -> str:
    """1000000 → "1,000,000"; 0.5 → "0.5" (never scientific notation in a message to a student)."""
    return f"{int(value):,}" if float(value).is_integer() else f"{value:,.6g}"


@dataclass(frozen=True)
class Option:
    name: str
    description: str
    type: type = str
    required: bool = False
    default: Any = None
    choices: tuple[str, ...] = ()
    min_value: float | None = None
    max_value: float | None = None
    max_length: int | None = None
    rest_of_line: bool = False  # prose: the console gives it the rest of the line, Discord drops mentions
    max_bytes: int = MAX_ATTACHMENT_BYTES  # files: refused by size before they are read
    file_kind: str = "a file"  # files: what a local path must be, with its article ("a CSV file")
    excludes: tuple[str, ...] = ()  # options that cannot be given together with this one
    suggest: Suggest | None = None  # chat front ends: autocomplete as the user types
    cli: str = ""  # CLI spelling: "" → --name, "--flag" → that flag, "NAME" → a positional argument
    channel_kind: str = "text"  # type=ChannelRef: which channels Discord offers ("forum", "text")

    def accepted_form(self) -> str:
        if self.choices:
            return " | ".join(self.choices)
        if self.type is bool:
            return "true | false"
        if self.type in (int, float):
            kind = "a whole number" if self.type is int else "a number"
            if self.min_value is not None and self.max_value is not None:
                return f"{kind} from {plain_number(self.min_value)} to {plain_number(self.max_value)}"
            if self.min_value is not None:
                return f"{kind} of at least {plain_number(self.min_value)}"
            if self.max_value is not None:
                return f"{kind} up to {plain_number(self.max_value)}"
            return kind
        if self.type is Attachment:
            return "a file attachment"
        if self.type is ChannelRef:
            return f"a {self.channel_kind} channel (#name, <#id> or its id)"
        if self.max_length:
            return f"text up to {self.max_length:,} characters"
        return "text"


@dataclass(frozen=True)
class CommandSpec:
    """A command and everything a front end needs to offer it.

    ``heavy``: CPU-bound, chat front ends run it in the process pool. ``instant``: pure and
    microseconds-fast, chat front ends answer inline. ``trusted_only``: chat front ends refuse
    other callers at once (the handler checks too). ``admin``: on Discord it lives under
    ``/admin`` (Manage Server). ``form``: with neither this option nor a file, Discord asks for it
    in a form. ``free_text``: plain text (a console line without ``/``, a mention) goes to this
    command. ``stream``: an async handler yielding message edits, for front ends that show the
    answer as it arrives. ``message_menu``: the label of a message context-menu entry; the front
    end passes ``message`` (that message's text) and ``replied_to`` (the text it replies to).
    ``server_only``: chat front ends refuse it outside a server that has added the bot (DMs,
    private channels, a user's own install), saying so. ``cli``: ``"demo <name>"`` makes it a demo:
    ``tutor demo <name>`` is generated from the spec and the LLM may run it as a tool; several
    specs may share one name, the flags given select the spec.
    """

    name: str
    summary: str
    handler: Handler
    options: tuple[Option, ...] = ()
    example: str = ""
    heavy: bool = False
    hidden: bool = False
    instant: bool = False
    wants_caller: bool = False  # handler takes caller=Caller(...)
    wants_history: bool = False  # handler takes history=(Turn, …): the conversation so far, oldest first
    ephemeral: bool = False  # chat front ends show the reply to the caller only
    trusted_only: bool = False
    admin: bool = False
    form: str | None = None
    free_text: bool = False
    stream: StreamHandler | None = None
    message_menu: str = ""
    server_only: bool = False
    cli: str = ""
    anonymous_usage: bool = False  # front ends log its use without the user (/forget-me leaves no trace)

    def name_on(self, frontend: str = CONSOLE) -> str:
        """The name a user types on ``frontend``: ``gaps resolve`` is ``/admin gaps-resolve`` on Discord."""
        if frontend == DISCORD and self.admin:
            # "forum add" nests (/admin forum add); "gaps resolve" cannot, since /admin gaps is a command
            words = self.name.split()
            nested = len(words) == 2 and words[0] not in REGISTRY
            return f"{ADMIN_GROUP} {self.name if nested else '-'.join(words)}"
        return self.name

    def usage(self, frontend: str = CONSOLE) -> str:
        parts = [f"/{self.name_on(frontend)}"]
        for opt in self.options:
            token = f"{opt.name}:<{opt.name}>"
            parts.append(token if opt.required else f"[{token}]")
        return " ".join(parts)

    def example_on(self, frontend: str = CONSOLE) -> str:
        own = f"/{self.name}"
        if self.example == own or self.example.startswith(own + " "):
            return f"/{self.name_on(frontend)}{self.example[len(own):]}"
        return self.example

    def option(self, name: str) -> Option:
        for opt in self.options:
            if opt.name == name:
                return opt
        raise UserInputError(
            f"/{self.name} has no option {name!r}; options: {', '.join(o.name for o in self.options) or 'none'}"
        )


REGISTRY: dict[str, CommandSpec] = {}
CORE_MODULES = ("knowledge_cmds", "help_cmd")  # cheap to import; everything else on demand
_PACKAGE = __name__.rpartition(".")[0]
_loaded_all = False


def load_commands(everything: bool = True) -> None:
    """Import the command modules so they register (the core ones only, or all).

    The modules are found in this package's folder and imported by name: a plug-in load, not an
    import of the package (which would make the registry and the package import each other)."""
    global _loaded_all
    for module in CORE_MODULES:
        importlib.import_module(f"{_PACKAGE}.{module}")
    if everything and not _loaded_all:
        for info in sorted(pkgutil.iter_modules([str(Path(__file__).parent)]), key=lambda m: m.name):
            if info.name != "registry" and not info.name.startswith("_"):
                importlib.import_module(f"{_PACKAGE}.{info.name}")
        _loaded_all = True


def register(spec: CommandSpec) -> CommandSpec:
    if spec.name in REGISTRY:
        raise ValueError(f"command {spec.name!r} registered twice")
    REGISTRY[spec.name] = spec
    return spec


def command(name: str, summary: str, *options: Option, **flags: Any) -> Callable[[Handler], Handler]:
    """Decorator form of :func:`register`; ``flags`` are :class:`CommandSpec` fields."""

    def wrap(fn: Handler) -> Handler:
        register(CommandSpec(name, summary, fn, tuple(options), **flags))
        return fn

    return wrap


_TRUE = {"true", "yes", "on", "1", "y"}
_FALSE = {"false", "no", "off", "0", "n"}


def coerce(spec: CommandSpec, opt: Option, raw: Any) -> Any:
    """Convert and bound-check one value; :class:`UserInputError` names the accepted form."""
    where = f"/{spec.name} {opt.name}"
    try:
        if opt.type is bool:
            if isinstance(raw, bool):
                value: Any = raw
            elif str(raw).strip().lower() in _TRUE:
                value = True
            elif str(raw).strip().lower() in _FALSE:
                value = False
            else:
                raise ValueError
        elif opt.type is int:
            if isinstance(raw, bool):
                raise ValueError
            if isinstance(raw, float) and not raw.is_integer():
                raise ValueError
            value = int(str(raw).strip()) if not isinstance(raw, (int, float)) else int(raw)
        elif opt.type is float:
            value = float(str(raw).strip()) if not isinstance(raw, (int, float)) else float(raw)
            if not math.isfinite(value):
                raise ValueError
        elif opt.type is Attachment:
            if not isinstance(raw, Attachment):
                raise ValueError
            value = raw
        elif opt.type is ChannelRef:
            if isinstance(raw, ChannelRef):
                value = raw
            else:
                digits = re.fullmatch(r"\s*(?:<#)?(\d{1,20})>?\s*", str(raw))
                if digits is None:
                    raise ValueError
                value = ChannelRef(int(digits.group(1)), kind=opt.channel_kind)
        else:
            value = str(raw)
    except (TypeError, ValueError):
        raise UserInputError(f"{where}: {str(raw)[:40]!r} is not valid; expected {opt.accepted_form()}") from None
    if opt.choices and value not in opt.choices:
        lowered = {c.lower(): c for c in opt.choices}
        if str(value).lower() in lowered:
            value = lowered[str(value).lower()]
        else:
            raise UserInputError(f"{where}: {str(value)[:40]!r} is not one of {' | '.join(opt.choices)}")
    if opt.type in (int, float):
        if (opt.min_value is not None and value < opt.min_value) or (
            opt.max_value is not None and value > opt.max_value
        ):
            raise UserInputError(f"{where}: {value} is out of range; expected {opt.accepted_form()}")
    if opt.type is str and opt.max_length is not None and len(value) > opt.max_length:
        raise UserInputError(f"{where}: too long ({len(value):,} characters); expected {opt.accepted_form()}")
    return value


def resolve(name: str, frontend: str = CONSOLE) -> CommandSpec:
    """The command a user named on ``frontend`` (its name there, or its registry name)."""
    key = " ".join(name.strip().lstrip("/").lower().split())
    if key not in REGISTRY:
        load_commands(everything=False)
    if key not in REGISTRY:
        load_commands(everything=True)
    spec = next((s for s in REGISTRY.values() if s.name_on(frontend) == key), None) or REGISTRY.get(key)
    if spec is not None:
        return spec
    raise UserInputError(f"unknown command /{key}; type /help for the list of commands")


def bind(spec: CommandSpec, args: Mapping[str, Any]) -> dict[str, Any]:
    """Validated keyword arguments for the handler (defaults filled, required checked)."""
    known = {o.name for o in spec.options}
    for name in args:
        if name not in known:
            spec.option(name)  # raises with the list of options
    given = {name for name, raw in args.items() if raw is not None}
    for opt in spec.options:
        clash = next((other for other in opt.excludes if opt.name in given and other in given), None)
        if clash is not None:
            raise UserInputError(f"/{spec.name}: give {opt.name} or {clash}, not both")
    bound: dict[str, Any] = {}
    for opt in spec.options:
        raw = args.get(opt.name)
        if raw is None or (isinstance(raw, str) and raw == "" and opt.type is not str):
            if opt.required:
                raise UserInputError(f"/{spec.name} needs {opt.name}: usage {spec.usage()}")
            bound[opt.name] = opt.default
        else:
            bound[opt.name] = coerce(spec, opt, raw)
    return bound


def require_trusted(caller: Caller, what: str) -> None:
    """Refuse ``what`` ("add server notes") to members who may not change the server's notes."""
    if not caller.is_trusted:
        raise NotAllowed(f"only server admins (Manage Server) or the trusted role can {what}")


def call_handler(spec: CommandSpec, services: "Services", kwargs: Mapping[str, Any],
                 caller: Caller | None = None, history: Sequence["Turn"] = ()) -> Reply:
    """Call a handler with already bound options (adds ``caller`` and ``history`` when the
    command wants them; ``history`` is the front end's conversation so far, e.g. the console
    session or a Discord thread)."""
    extra: dict[str, Any] = {}
    if spec.wants_caller:
        extra["caller"] = caller or Caller.local()
    if spec.wants_history:
        extra["history"] = tuple(history)
    return spec.handler(services, **extra, **kwargs)


def invoke(name: str, services: "Services", args: Mapping[str, Any] | None = None,
           caller: Caller | None = None, history: Sequence["Turn"] = ()) -> Reply:
    """Run a command; :class:`UserInputError` propagates for the front end to render."""
    spec = resolve(name)
    return call_handler(spec, services, bind(spec, args or {}), caller, history)


ACTION_PREFIX = "action "
_PAYLOAD = re.compile(r"[A-Za-z0-9_.:-]{1,80}")


def run_action(command: str, payload: str, services: "Services", caller: Caller | None = None) -> Reply:
    """A button press: run the hidden command ``action <command>`` with its payload.

    Action commands take a single ``payload`` option; the payload comes back from the chat
    platform, so it is re-validated here like any other user input.
    """
    if not _PAYLOAD.fullmatch(payload or ""):
        raise UserInputError("that button is no longer valid")
    spec = all_commands().get(f"{ACTION_PREFIX}{command}")
    if spec is None:
        raise UserInputError("that button is no longer valid")
    return call_handler(spec, services, {"payload": payload}, caller)


def all_commands() -> dict[str, CommandSpec]:
    """Every registered command (imports all command modules first)."""
    load_commands()
    return REGISTRY


def visible_commands() -> list[CommandSpec]:
    return [spec for spec in all_commands().values() if not spec.hidden]


def free_text_command() -> CommandSpec:
    """The command that plain text goes to (a console line without ``/``, a mention of the bot)."""
    return next(spec for spec in all_commands().values() if spec.free_text)
