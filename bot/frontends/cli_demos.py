"""``tutor demo NAME …``: generated from the command specs, the way the slash commands are.

Every spec with a ``cli`` name becomes a subcommand: one flag per option (``--name``, or the
spelling in ``Option.cli``; a spelling without dashes is a positional argument), plus one
``--json`` and one ``--out PNG``. Values are passed on as text and checked by the registry, so a
bad value gets the same one-line ``error:`` (exit 2) as on Discord and in the console. Several
specs may share a name (``tutor demo embeddings``): the flags given pick the spec.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from bot.commands.registry import CommandSpec, Option, all_commands, invoke
from bot.context import Attachment
from bot.frontends.cli_common import JSON_HELP, show_reply
from bot.frontends.local_files import read_local_attachment
from bot.services import Services
from tools.errors import UserInputError

demo_app = typer.Typer(help="Run a demo: real computations with numbers and plots.", no_args_is_help=True)
DEMO_GROUP = "demo"
OUT_HELP = "Save the (first) picture to this .png path."
_added = False


def flag_of(opt: Option) -> str | None:
    """The option's CLI flag, or None when it is a positional argument."""
    if opt.cli.startswith("--"):
        return opt.cli
    return None if opt.cli else "--" + opt.name.replace("_", "-")


def _param_name(opt: Option) -> str:
    return (flag_of(opt) or opt.cli).lstrip("-").replace("-", "_").lower()


def _metavar(opt: Option) -> str:
    if opt.cli and not opt.cli.startswith("--"):
        return opt.cli
    return "PATH" if opt.type is Attachment else opt.name.upper()


def _help(opt: Option) -> str:
    if opt.default is None or opt.type is bool:
        return opt.description
    return f"{opt.description} (default {opt.default})"


def check_out(out: Path | None) -> Path | None:
    """``--out`` must name a .png file (not a directory)."""
    if out is not None and (out.is_dir() or out.suffix.lower() != ".png"):
        raise UserInputError(f"--out {str(out)[:60]!r} is not a PNG file path; expected e.g. --out plot.png")
    return out


def _usage(spec: CommandSpec) -> str:
    parts = []
    for opt in spec.options:
        flag = flag_of(opt) or _metavar(opt)
        token = flag if opt.type is bool or flag_of(opt) is None else f"{flag} {_metavar(opt)}"
        parts.append(token if opt.required else f"[{token}]")
    return " ".join(parts)


def _select(specs: list[CommandSpec], given: set[str]) -> CommandSpec:
    """The spec the given flags ask for: the one whose required flags were given (or the one
    without required flags), and only if every given flag is one of its own."""
    if len(specs) == 1:
        return specs[0]
    usage = "expected one of: " + " | ".join(_usage(s) for s in specs)
    keyed = [s for s in specs if given & {flag_of(o) for o in s.options if o.required}]
    if not keyed:
        keyed = [s for s in specs if not any(o.required for o in s.options)]
    if len(keyed) != 1:
        raise UserInputError(f"choose exactly one demo; {usage}")
    spec = keyed[0]
    stray = sorted(given - {flag_of(o) for o in spec.options})
    if stray:
        raise UserInputError(f"{stray[0]} does not go with {_usage(spec).split()[0]}; {usage}")
    return spec


def _arguments(spec: CommandSpec, values: dict[str, Any]) -> dict[str, Any]:
    """The raw option values for the registry, files read (their size checked before reading)."""
    args: dict[str, Any] = {}
    repeated: dict[str, list[Any]] = {}
    for opt in spec.options:
        value = values[_param_name(opt)]
        if isinstance(value, list):  # a flag given once per option that shares it (--sentence S1 --sentence S2)
            sharing = [o for o in spec.options if flag_of(o) == flag_of(opt)]
            queue = repeated.setdefault(_param_name(opt), list(value))
            if len(value) != len(sharing):
                raise UserInputError(f"give {flag_of(opt)} {len(sharing)} times (got {len(value)}); "
                                     f"usage: {_usage(spec)}")
            value = queue.pop(0)
        if value is None or (opt.type is bool and value is False):
            if opt.required:
                raise UserInputError(f"give {flag_of(opt) or _metavar(opt)}: {opt.accepted_form()}")
            continue
        if opt.type is Attachment:
            value = read_local_attachment(value, opt.max_bytes, opt.file_kind)
        args[opt.name] = value
    return args


def _parameters(specs: list[CommandSpec]) -> list[inspect.Parameter]:
    params: dict[str, inspect.Parameter] = {}
    for spec in specs:
        counts: dict[str, int] = {}
        for opt in spec.options:
            counts[_param_name(opt)] = counts.get(_param_name(opt), 0) + 1
        for opt in spec.options:
            name = _param_name(opt)
            if name in params:
                continue
            flag = flag_of(opt)
            if flag is None:
                kind: Any = Path if opt.type is Attachment else str
                info: Any = typer.Argument(metavar=_metavar(opt), help=_help(opt), show_default=False)
                annotation = Annotated[kind if opt.required else Optional[kind], info]
                default = inspect.Parameter.empty if opt.required else None
            elif opt.type is bool:
                annotation, default = Annotated[bool, typer.Option(flag, help=_help(opt))], False
            else:
                kind = Path if opt.type is Attachment else str
                if counts[name] > 1:
                    kind = list[kind]  # type: ignore[valid-type]
                metavar = name.upper() if counts[name] > 1 else _metavar(opt)  # --sentence S1 --sentence S2
                info = typer.Option(flag, metavar=metavar, help=_help(opt), show_default=False)
                annotation, default = Annotated[Optional[kind], info], None
            params[name] = inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=annotation,
                                             default=default)
    ordered = sorted(params.values(), key=lambda p: p.default is not inspect.Parameter.empty)
    ordered.append(inspect.Parameter("as_json", inspect.Parameter.KEYWORD_ONLY, default=False,
                                     annotation=Annotated[bool, typer.Option("--json", help=JSON_HELP)]))
    ordered.append(inspect.Parameter("out", inspect.Parameter.KEYWORD_ONLY, default=None,
                                     annotation=Annotated[Optional[Path], typer.Option(
                                         "--out", metavar="PNG", help=OUT_HELP, show_default=False)]))
    return ordered


def _command(specs: list[CommandSpec]) -> Callable[..., None]:
    flags = {_param_name(o): flag_of(o) for s in specs for o in s.options if flag_of(o) is not None}

    def run(**values: Any) -> None:
        as_json, out = values.pop("as_json"), check_out(values.pop("out"))
        given = {flags[name] for name, value in values.items()
                 if name in flags and value not in (None, False, [])}
        spec = _select(specs, given)
        values = {**{_param_name(o): None for s in specs for o in s.options}, **values}
        show_reply(invoke(spec.name, Services(), _arguments(spec, values)), as_json, out)

    run.__signature__ = inspect.Signature(_parameters(specs))  # type: ignore[attr-defined]
    run.__doc__ = specs[0].summary if len(specs) == 1 else "\n\n".join(
        [f"One of: {' | '.join(_usage(s) for s in specs)}."] + [f"{_usage(s)}: {s.summary}." for s in specs])
    return run


def add_demo_commands() -> None:
    """Add a subcommand to :data:`demo_app` for every spec with a ``cli`` name (imports every
    command module, so only ``tutor demo …`` pays for torch and scikit-learn)."""
    global _added
    if _added:
        return
    groups: dict[str, list[CommandSpec]] = {}
    for spec in all_commands().values():
        if spec.cli:
            group, _, name = spec.cli.partition(" ")
            if group != DEMO_GROUP or not name:
                raise ValueError(f"{spec.name}: cli names are 'demo <name>' (got {spec.cli!r})")
            groups.setdefault(name, []).append(spec)
    for name, specs in groups.items():
        demo_app.command(name)(_command(specs))
    _added = True
