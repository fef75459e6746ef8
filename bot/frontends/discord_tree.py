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
from bot.context import DISCORD, Attachment, ChannelRef
from tools.text import clip

DESCRIPTION_CHARS = 100
GROUP_DESCRIPTIONS = {
    "plot": "Plots computed on the spot",
    "metrics": "Classification metrics from your numbers",
    "embeddings": "Static (GloVe) vs contextual (MiniLM) word vectors",
    "demo": "Run a demo: real computations with numbers and plots",
    "kb": "Server notes the bot cites (trusted members add them)",
    ADMIN_GROUP: "Bot administration (Manage Server permission)",
    f"{ADMIN_GROUP} forum": "Help forums: the bot answers new posts it is sure about",
}

# Where a command can be used (Discord's integration_types and contexts). Everything works for a
# server install and a user install, in servers, the bot's DMs and private channels; what needs a
# server says so when used elsewhere. /admin is for a server that installed the bot only.
EVERYWHERE_INSTALLS = app_commands.AppInstallationType(guild=True, user=True)
EVERYWHERE_CONTEXTS = app_commands.AppCommandContext(guild=True, dm_channel=True, private_channel=True)
SERVER_INSTALLS = app_commands.AppInstallationType(guild=True, user=False)
SERVER_CONTEXTS = app_commands.AppCommandContext(guild=True, dm_channel=False, private_channel=False)
SERVER_INSTALL_ONLY = "works in a server that has added the bot, not in DMs or where only you installed it"

Dispatch = Callable[[discord.Interaction, CommandSpec, dict[str, Any]], Awaitable[None]]
Autocomplete = Callable[[discord.Interaction, str], Awaitable[list[app_commands.Choice[str]]]]
MakeAutocomplete = Callable[[Option], Autocomplete]


def _short(text: str) -> str:
    return clip(" ".join(text.split()), DESCRIPTION_CHARS)


class AdminGroup(app_commands.Group):
    """``/admin``: hidden from members without Manage Server, and checked again on every use."""

    def __init__(self) -> None:
        super().__init__(name=ADMIN_GROUP, description=GROUP_DESCRIPTIONS[ADMIN_GROUP],
                         default_permissions=discord.Permissions(manage_guild=True),
                         allowed_contexts=SERVER_CONTEXTS, allowed_installs=SERVER_INSTALLS)

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        if not interaction.is_guild_integration():
            raise app_commands.CheckFailure(f"/{ADMIN_GROUP} {SERVER_INSTALL_ONLY}")
        if not interaction.permissions.manage_guild:
            raise app_commands.CheckFailure("this command needs the Manage Server permission")
        return True


def annotation_for(opt: Option) -> Any:
    if opt.type is Attachment:
        base: Any = discord.Attachment
    elif opt.type is ChannelRef:
        base = discord.ForumChannel if opt.channel_kind == "forum" else discord.TextChannel
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
    """Top-level commands and groups for a CommandTree (``/admin`` always among them); a name of
    three words (``admin forum add``) is a subcommand of a subgroup."""
    admin = AdminGroup()
    groups: dict[str, app_commands.Group] = {ADMIN_GROUP: admin}
    top: list[app_commands.Command | app_commands.Group] = [admin]
    for spec in specs:
        words = spec.name_on(DISCORD).split()
        if len(words) > 3:
            raise ValueError(f"command name {spec.name!r} is nested too deeply for Discord")
        parent = None
        for depth in range(1, len(words)):
            path = " ".join(words[:depth])
            group = groups.get(path)
            if group is None:
                group = groups[path] = app_commands.Group(
                    name=words[depth - 1], description=_short(GROUP_DESCRIPTIONS.get(path, f"{path} commands")),
                    parent=parent)
                if parent is None:
                    top.append(group)
            parent = group
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
