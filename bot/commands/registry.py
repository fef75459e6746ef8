"""One registry of commands feeds every front end: Discord, the console, /help and the CLI.

A command is a name ("ask", "demo focal-loss"), typed options with bounds, and a handler that
returns a :class:`~bot.reply.Reply`. :func:`invoke` coerces and validates raw option values
(strings from the console, typed values from Discord) so every front end rejects bad input with
the same one-line message.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bot.reply import Reply
from tools.errors import UserInputError

if TYPE_CHECKING:
    from bot.services import Services

Handler = Callable[..., Reply]

MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024


@dataclass(frozen=True)
class Attachment:
    """A file a user supplied (Discord attachment, console path, CLI path), already read.

    Front ends enforce :data:`MAX_ATTACHMENT_BYTES` (or a tool's smaller limit) *before*
    reading; tools validate the content.
    """

    filename: str
    data: bytes
    content_type: str | None = None


def _num(value: float) -> str:
    """1000000 → "1,000,000"; 0.5 → "0.5" (never scientific notation in a message to a student)."""
    return f"{int(value):,}" if float(value).is_integer() else f"{value:,.6g}"


@dataclass(frozen=True)
class Caller:
    """Who is running a command: per-user features (quizzes, progress) key on ``user_id``.

    Front ends fill it in (Discord: the interaction's user and guild; console/CLI: the local
    user, id 0). Handlers that need it declare ``wants_caller=True`` and take ``caller=``.
    """

    user_id: int
    guild_id: int | None = None
    display_name: str = ""
    is_trusted: bool = False  # may change the server's notes (Discord: Manage Server or the trusted role)

    @classmethod
    def local(cls) -> "Caller":
        return cls(user_id=0, guild_id=None, display_name="you", is_trusted=True)


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
    rest_of_line: bool = False  # console: this option swallows the rest of the line

    def accepted_form(self) -> str:
        if self.choices:
            return " | ".join(self.choices)
        if self.type is bool:
            return "true | false"
        if self.type in (int, float):
            kind = "a whole number" if self.type is int else "a number"
            if self.min_value is not None and self.max_value is not None:
                return f"{kind} from {_num(self.min_value)} to {_num(self.max_value)}"
            if self.min_value is not None:
                return f"{kind} of at least {_num(self.min_value)}"
            if self.max_value is not None:
                return f"{kind} up to {_num(self.max_value)}"
            return kind
        if self.type is Attachment:
            return "a file attachment"
        if self.max_length:
            return f"text up to {self.max_length:,} characters"
        return "text"


@dataclass(frozen=True)
class CommandSpec:
    name: str
    summary: str
    handler: Handler
    options: tuple[Option, ...] = ()
    example: str = ""
    heavy: bool = False  # CPU-heavy: chat front ends run it in a process pool
    needs_knowledge: bool = False
    hidden: bool = False
    instant: bool = False  # pure and microseconds-fast: chat front ends may run it inline
    wants_caller: bool = False  # handler takes caller=Caller(...)
    extra: Mapping[str, Any] = field(default_factory=dict)

    def usage(self) -> str:
        parts = [f"/{self.name}"]
        for opt in self.options:
            token = f"{opt.name}:<{opt.name}>"
            parts.append(token if opt.required else f"[{token}]")
        return " ".join(parts)

    def option(self, name: str) -> Option:
        for opt in self.options:
            if opt.name == name:
                return opt
        raise UserInputError(
            f"/{self.name} has no option {name!r}; options: {', '.join(o.name for o in self.options) or 'none'}"
        )


REGISTRY: dict[str, CommandSpec] = {}
CORE_MODULES = ("knowledge_cmds", "help_cmd")  # cheap to import; everything else on demand
_loaded_all = False


def load_commands(everything: bool = True) -> None:
    """Import the command modules so they register (the core ones only, or all)."""
    global _loaded_all
    import importlib
    import pkgutil

    import bot.commands as package

    for module in CORE_MODULES:
        importlib.import_module(f"{package.__name__}.{module}")
    if everything and not _loaded_all:
        for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
            if info.name != "registry" and not info.name.startswith("_"):
                importlib.import_module(f"{package.__name__}.{info.name}")
        _loaded_all = True


def register(spec: CommandSpec) -> CommandSpec:
    if spec.name in REGISTRY:
        raise ValueError(f"command {spec.name!r} registered twice")
    REGISTRY[spec.name] = spec
    return spec


def command(name: str, summary: str, *options: Option, example: str = "", heavy: bool = False,
            needs_knowledge: bool = False, hidden: bool = False, instant: bool = False,
            wants_caller: bool = False) -> Callable[[Handler], Handler]:
    """Decorator form of :func:`register`."""

    def wrap(fn: Handler) -> Handler:
        register(CommandSpec(name, summary, fn, tuple(options), example, heavy, needs_knowledge, hidden,
                             instant, wants_caller))
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


def resolve(name: str) -> CommandSpec:
    key = " ".join(name.strip().lstrip("/").lower().split())
    if key not in REGISTRY:
        load_commands(everything=False)
    if key not in REGISTRY:
        load_commands(everything=True)
    if key in REGISTRY:
        return REGISTRY[key]
    raise UserInputError(f"unknown command /{key}; type /help for the list of commands")


def bind(spec: CommandSpec, args: Mapping[str, Any]) -> dict[str, Any]:
    """Validated keyword arguments for the handler (defaults filled, required checked)."""
    known = {o.name for o in spec.options}
    for name in args:
        if name not in known:
            spec.option(name)  # raises with the list of options
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


def call_handler(spec: CommandSpec, services: "Services", kwargs: Mapping[str, Any],
                 caller: Caller | None = None) -> Reply:
    """Call a handler with already bound options (adds ``caller`` when the command wants it)."""
    if spec.wants_caller:
        return spec.handler(services, caller=caller or Caller.local(), **kwargs)
    return spec.handler(services, **kwargs)


def invoke(name: str, services: "Services", args: Mapping[str, Any] | None = None,
           caller: Caller | None = None) -> Reply:
    """Run a command; :class:`UserInputError` propagates for the front end to render."""
    spec = resolve(name)
    return call_handler(spec, services, bind(spec, args or {}), caller)


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
