"""Build discord.py slash commands from the command registry (no command logic here).

``"ask"`` becomes ``/ask``; ``"plot gradient-flow"`` becomes the subcommand ``gradient-flow`` of
the group ``/plot``; an ``admin`` spec goes under ``/admin`` (Manage Server, servers only).
Option types become Discord option types: choices → ``Literal`` (a choice list), bounded numbers
→ ``app_commands.Range``, files → ``discord.Attachment``; an option that can ``suggest`` values
gets autocomplete.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal, Optional

import discord
from discord import app_commands

from bot.commands.registry import ADMIN_GROUP, CommandSpec, Option
from bot.context import DISCORD, Attachment
from tools.text import clip

DESCRIPTION_CHARS = 100
GROUP_DESCRIPTIONS = {
    "plot": "Plots computed on the spot",
    "metrics": "Classification metrics from your numbers",
    "embeddings": "Static (GloVe) vs contextual (MiniLM) word vectors",
    "demo": "Run a demo: real computations with numbers and plots",
    "kb": "Server notes the bot cites (trusted members add them)",
    ADMIN_GROUP: "Bot administration (Manage Server permission)",
}

Dispatch = Callable[[discord.Interaction, CommandSpec, dict[str, Any]], Awaitable[None]]
Autocomplete = Callable[[discord.Interaction, str], Awaitable[list[app_commands.Choice[str]]]]
MakeAutocomplete = Callable[[Option], Autocomplete]


def _short(text: str) -> str:
    return clip(" ".join(text.split()), DESCRIPTION_CHARS)


class AdminGroup(app_commands.Group):
    """``/admin``: hidden from members without Manage Server, and checked again on every use."""

    def __init__(self) -> None:
        super().__init__(name=ADMIN_GROUP, description=GROUP_DESCRIPTIONS[ADMIN_GROUP],
                         default_permissions=discord.Permissions(manage_guild=True), guild_only=True)

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        if not interaction.permissions.manage_guild:
            raise app_commands.CheckFailure("this command needs the Manage Server permission")
        return True


def annotation_for(opt: Option) -> Any:
    if opt.type is Attachment:
        base: Any = discord.Attachment
    elif opt.choices:
        base = Literal[tuple(opt.choices)]  # type: ignore[valid-type]
    elif opt.type in (int, float):
        if opt.min_value is not None or opt.max_value is not None:
            lo = opt.type(opt.min_value) if opt.min_value is not None else None
            hi = opt.type(opt.max_value) if opt.max_value is not None else None
            base = app_commands.Range[opt.type, lo, hi]  # type: ignore[misc]
        else:
            base = opt.type
    elif opt.type is bool:
        base = bool
    else:
        base = app_commands.Range[str, 1, min(opt.max_length, 6000)] if opt.max_length else str
    return base if opt.required else Optional[base]


def _callback_for(spec: CommandSpec, dispatch: Dispatch) -> Callable[..., Awaitable[None]]:
    async def callback(interaction: discord.Interaction, **kwargs: Any) -> None:
        await dispatch(interaction, spec, {k: v for k, v in kwargs.items() if v is not None})

    ordered = sorted(spec.options, key=lambda o: not o.required)  # Discord: required options first
    params = [inspect.Parameter("interaction", inspect.Parameter.POSITIONAL_OR_KEYWORD,
                                annotation=discord.Interaction)]
    for opt in ordered:
        params.append(inspect.Parameter(
            opt.name, inspect.Parameter.KEYWORD_ONLY, annotation=annotation_for(opt),
            default=inspect.Parameter.empty if opt.required else None))
    callback.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    callback.__name__ = spec.name.replace(" ", "_").replace("-", "_")
    descriptions = {opt.name: _short(opt.description) for opt in spec.options}
    return app_commands.describe(**descriptions)(callback) if descriptions else callback


@dataclass
class CommandTree:
    top: list[app_commands.Command | app_commands.Group]
    admin: AdminGroup


def build_commands(specs: list[CommandSpec], dispatch: Dispatch, autocomplete: MakeAutocomplete) -> CommandTree:
    """Top-level commands and groups for a CommandTree (``/admin`` always among them)."""
    admin = AdminGroup()
    groups: dict[str, app_commands.Group] = {ADMIN_GROUP: admin}
    top: list[app_commands.Command | app_commands.Group] = [admin]
    for spec in specs:
        words = spec.name_on(DISCORD).split()
        if len(words) > 2:
            raise ValueError(f"command name {spec.name!r} is nested too deeply for Discord")
        parent = None
        if len(words) == 2:
            parent = groups.get(words[0])
            if parent is None:
                parent = groups[words[0]] = app_commands.Group(
                    name=words[0], description=_short(GROUP_DESCRIPTIONS.get(words[0], f"{words[0]} commands")))
                top.append(parent)
        cmd = app_commands.Command(name=words[-1], description=_short(spec.summary),
                                   callback=_callback_for(spec, dispatch), parent=parent)
        for opt in spec.options:
            if opt.suggest is not None:
                cmd.autocomplete(opt.name)(autocomplete(opt))
        if parent is None:
            top.append(cmd)
        else:
            parent.add_command(cmd)
    return CommandTree(top, admin)
