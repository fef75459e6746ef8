"""/help: generated from the registry, so it can never drift from the real commands."""

from __future__ import annotations

from bot.commands.registry import CommandSpec, Option, command, resolve, visible_commands
from bot.reply import Reply
from bot.services import Services


@command("help", "List the commands, or show how to use one",
         Option("command", "A command name, e.g. ask or demo focal-loss", max_length=60, rest_of_line=True),
         example="/help ask", instant=True)
def help_command(services: Services, command: str | None = None) -> Reply:
    if command:
        spec = resolve(command)
        lines = [spec.summary, "", f"Usage: `{spec.usage()}`"]
        for opt in spec.options:
            need = "required" if opt.required else f"optional, default {opt.default!r}"
            lines.append(f"• `{opt.name}` — {opt.description} ({opt.accepted_form()}; {need})")
        if spec.example:
            lines += ["", f"Example: `{spec.example}`"]
        return Reply(text="\n".join(lines), title=f"/{spec.name}", ephemeral=True,
                     data={"command": spec.name, "usage": spec.usage()})
    specs = [s for s in visible_commands() if s.name != "help"]
    lines: list[str] = []
    for heading, members in _grouped(specs):
        lines.append(f"**{heading}**")
        lines += [f"`/{s.name}` — {s.summary}" for s in members]
        lines.append("")
    lines.append("Type `/help <command>` for its options and an example.")
    return Reply(text="\n".join(lines), title="Commands", ephemeral=True,
                 data=[{"command": s.name, "summary": s.summary, "usage": s.usage()} for s in specs])


GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Ask and read", ("ask", "search", "explain", "roadmap")),
    ("Run a demo", ("plot", "metrics", "embeddings", "demo", "image")),
    ("Practise", ("quiz", "review", "progress", "leaderboard")),
)
OTHER_GROUP = "Your data and this server"


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
