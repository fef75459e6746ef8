"""/help: generated from the registry, so it can never drift from the real commands."""

from __future__ import annotations

from bot.commands.registry import Option, command, resolve, visible_commands
from bot.reply import Reply, Table
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
    specs = visible_commands()
    rows = tuple((f"/{s.name}", s.summary) for s in specs)
    text = "\n".join(f"`/{s.name}` — {s.summary}" for s in specs)
    text += "\n\nType `/help <command>` for its options and an example."
    return Reply(text=text, title="Commands", tables=(Table(("command", "what it does"), rows),),
                 ephemeral=True, data=[{"command": s.name, "summary": s.summary, "usage": s.usage()} for s in specs])
