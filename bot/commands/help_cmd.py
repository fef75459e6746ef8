"""/help: generated from the registry, so it can never drift from the real commands, and per
front end, so every name it prints is one the user can type there."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.commands.registry import CommandSpec, Option, command, resolve, visible_commands
from bot.context import Caller
from bot.reply import Reply

if TYPE_CHECKING:
    from bot.services import Services

GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Ask and read", ("ask", "search", "explain", "roadmap")),
    ("Run a demo", ("plot", "metrics", "embeddings", "demo", "image")),
    ("Practise", ("quiz", "review", "next", "progress", "leaderboard")),
)
OTHER_GROUP = "Your data and this server"


@command("help", "List the commands, or show how to use one",
         Option("command", "A command name, e.g. ask or demo focal-loss", max_length=60, rest_of_line=True),
         example="/help ask", instant=True, wants_caller=True)
def help_command(services: Services, caller: Caller, command: str | None = None) -> Reply:
    where = caller.frontend
    if command:
        spec = resolve(command, where)
        lines = [spec.summary, "", f"Usage: `{spec.usage(where)}`"]
        for opt in spec.options:
            need = "required" if opt.required else f"optional, default {opt.default!r}"
            lines.append(f"• `{opt.name}` — {opt.description} ({opt.accepted_form()}; {need})")
        if spec.example:
            lines += ["", f"Example: `{spec.example_on(where)}`"]
        return Reply(text="\n".join(lines), title=f"/{spec.name_on(where)}", ephemeral=True,
                     data={"command": spec.name_on(where), "usage": spec.usage(where)})
    specs = [s for s in visible_commands() if s.name != "help"]
    lines: list[str] = []
    for heading, members in _grouped(specs):
        lines.append(f"**{heading}**")
        lines += [f"`/{s.name_on(where)}` — {s.summary}" for s in members]
        lines.append("")
    lines.append("Type `/help <command>` for its options and an example.")
    return Reply(text="\n".join(lines), title="Commands", ephemeral=True,
                 data=[{"command": s.name_on(where), "summary": s.summary, "usage": s.usage(where)} for s in specs])


def _grouped(specs: list[CommandSpec]) -> list[tuple[str, list[CommandSpec]]]:
    """Commands under a few headings, in curriculum-friendly order (unknown ones last)."""
    buckets: dict[str, list[CommandSpec]] = {heading: [] for heading, _ in GROUPS}
    buckets[OTHER_GROUP] = []
    for spec in specs:
        first = spec.name.split()[0]
        heading = next((h for h, names in GROUPS if first in names), OTHER_GROUP)
        buckets[heading].append(spec)
    order = {name: i for _, names in GROUPS for i, name in enumerate(names)}
    return [(h, sorted(m, key=lambda s: (order.get(s.name.split()[0], 99), s.name)))
            for h, m in buckets.items() if m]
