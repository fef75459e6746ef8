"""Function tools for the model, generated from the command registry (one source of truth).

The demo commands (the specs with a ``tutor demo`` name: ``plot …``, ``metrics …``,
``embeddings …``, ``demo …``, ``image``) become chat-completions function tools: each typed,
bounded :class:`~bot.commands.registry.Option` becomes a JSON-schema property (``int`` → ``integer`` with ``minimum``/``maximum``, choices →
``enum``, ``max_length`` → ``maxLength``). File options (:class:`Attachment`) are left out: the
model cannot supply a file, and the commands fall back to their bundled samples/data sets.

Arguments the model sends back are validated by the registry's own :func:`bind` — exactly the
checks a slash command or a console line gets — so a bad call fails with the same one-line
message, which goes back to the model to correct itself.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from bot.commands.registry import CommandSpec, Option, all_commands, bind
from bot.context import Attachment
from tools.errors import UserInputError

MAX_ARGUMENT_CHARS = 4_000

_JSON_TYPES = {str: "string", int: "integer", float: "number", bool: "boolean"}
_NAME_RE = re.compile(r"[^A-Za-z0-9_]+")


class ToolArgumentError(UserInputError):
    """The model asked for a tool that does not exist or sent arguments the command rejects."""


def is_demo_command(spec: CommandSpec) -> bool:
    """The demos (the specs under ``tutor demo``) are what the model may run."""
    return not spec.hidden and spec.cli.startswith("demo ")


def tool_name(spec: CommandSpec) -> str:
    """``plot gradient-flow`` → ``plot_gradient_flow`` (function names allow ``[A-Za-z0-9_-]``)."""
    return _NAME_RE.sub("_", spec.name).strip("_")[:64]


def offered_options(spec: CommandSpec) -> tuple[Option, ...]:
    return tuple(o for o in spec.options if o.type is not Attachment)


def option_schema(opt: Option) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": _JSON_TYPES.get(opt.type, "string")}
    description = opt.description.rstrip(".")
    if opt.default is not None and not opt.required:
        description += f". Default: {str(opt.default).lower() if isinstance(opt.default, bool) else opt.default}"
    schema["description"] = description
    if opt.choices:
        schema["enum"] = list(opt.choices)
    if opt.type in (int, float):
        if opt.min_value is not None:
            schema["minimum"] = int(opt.min_value) if opt.type is int else opt.min_value
        if opt.max_value is not None:
            schema["maximum"] = int(opt.max_value) if opt.type is int else opt.max_value
    if opt.type is str and opt.max_length is not None:
        schema["maxLength"] = opt.max_length
    return schema


def tool_schema(spec: CommandSpec) -> dict[str, Any]:
    options = offered_options(spec)
    description = spec.summary
    if spec.example:
        description += f" (slash command: {spec.example})"
    return {
        "type": "function",
        "function": {
            "name": tool_name(spec),
            "description": description,
            "parameters": {
                "type": "object",
                "properties": {o.name: option_schema(o) for o in options},
                "required": [o.name for o in options if o.required],
                "additionalProperties": False,
            },
        },
    }


@dataclass(frozen=True)
class ToolCatalog:
    """The offered tools: their schemas, and validation of a call back to (spec, handler kwargs)."""

    specs: Mapping[str, CommandSpec]  # tool name → command

    @classmethod
    def from_registry(cls, registry: Mapping[str, CommandSpec] | None = None) -> "ToolCatalog":
        if registry is None:
            registry = all_commands()
        return cls.from_specs(s for s in registry.values() if is_demo_command(s))

    @classmethod
    def from_specs(cls, specs: Iterable[CommandSpec]) -> "ToolCatalog":
        return cls({tool_name(s): s for s in specs})

    def schemas(self) -> list[dict[str, Any]]:
        return [tool_schema(spec) for spec in self.specs.values()]

    def validate(self, name: str, arguments: str | Mapping[str, Any] | None) -> tuple[CommandSpec, dict[str, Any]]:
        """(command, validated kwargs) for a tool call, or :class:`ToolArgumentError`."""
        spec = self.specs.get(name or "")
        if spec is None:
            raise ToolArgumentError(f"unknown tool {str(name)[:64]!r}; available: {', '.join(self.specs)}")
        if arguments is None or arguments == "":
            args: Any = {}
        elif isinstance(arguments, str):
            if len(arguments) > MAX_ARGUMENT_CHARS:
                raise ToolArgumentError(f"{name}: arguments too long ({len(arguments):,} characters)")
            try:
                args = json.loads(arguments)
            except json.JSONDecodeError as err:
                raise ToolArgumentError(f"{name}: arguments are not valid JSON ({err.msg})") from None
        else:
            args = dict(arguments)
        if not isinstance(args, dict):
            raise ToolArgumentError(f"{name}: arguments must be a JSON object")
        offered = {o.name for o in offered_options(spec)}
        for key in args:
            if key not in offered:
                raise ToolArgumentError(
                    f"{name} has no argument {str(key)[:40]!r}; arguments: {', '.join(sorted(offered)) or 'none'}")
        for key, value in list(args.items()):
            if isinstance(value, (dict, list)):
                if spec.option(key).type is not str:
                    raise ToolArgumentError(f"{name}: {key} must be a single value, not {type(value).__name__}")
                args[key] = json.dumps(value, separators=(",", ":"))  # e.g. a matrix sent as nested lists
        try:
            return spec, bind(spec, args)
        except UserInputError as err:
            raise ToolArgumentError(str(err)) from None
