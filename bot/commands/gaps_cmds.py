"""The gap log: ``gaps`` lists what the bot could not answer, grouped by meaning; ``gaps resolve``
marks a group done (trusted members). On Discord they live under ``/admin``."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from bot.commands.registry import CommandSpec, Option, register, require_trusted
from bot.context import Caller
from bot.reply import Reply

if TYPE_CHECKING:
    from bot.services import Services

MAX_GROUPS_SHOWN = 25


def _ago(ts: float) -> str:
    seconds = max(0.0, time.time() - ts)
    if seconds < 3600:
        return f"{int(seconds // 60)} min ago"
    if seconds < 86400:
        return f"{int(seconds // 3600)} h ago"
    return f"{int(seconds // 86400)} d ago"


def gaps_list(services: Services, caller: Caller, limit: int = 10) -> Reply:
    require_trusted(caller, "see the gap log")
    groups = services.gaps.groups(caller.guild_id)
    lines = []
    for g in groups[:limit]:
        score = f"best score {g.best_score:.2f}" if g.best_score is not None else "no score"
        votes = f" · 👎 {g.downvotes}" if g.downvotes else ""
        lines.append(f"**#{g.id}** ×{g.count} — “{g.example[:200]}” ({score}{votes}, last {_ago(g.last_asked)})")
    if not lines:
        lines = ["No open gaps: every question asked here got an answer (or was resolved)."]
    elif len(groups) > limit:
        lines.append(f"… and {len(groups) - limit} smaller groups.")
    lines.append("")
    resolve = RESOLVE.name_on(caller.frontend)
    lines.append(f"Answer a group with `/kb add` (or *Save as answer* on a reply), then `/{resolve} group:<#>`.")
    return Reply(text="\n".join(lines), title=f"Unanswered questions ({sum(g.count for g in groups)})",
                 data=[g.as_dict() for g in groups[:limit]], ephemeral=True)


def gaps_resolve(services: Services, group: int, caller: Caller) -> Reply:
    require_trusted(caller, "resolve gaps")
    resolved = services.gaps.resolve(caller.guild_id, group)
    return Reply(text=f"Resolved group #{resolved.id}: {resolved.count} question(s) like “{resolved.example[:200]}”.",
                 title="Gap resolved", data=resolved.as_dict(), ephemeral=True)


register(CommandSpec(
    "gaps", "Questions the bot could not answer, grouped by meaning (admins)", gaps_list,
    (Option("limit", "How many groups (1-25)", type=int, default=10, min_value=1, max_value=MAX_GROUPS_SHOWN),),
    example="/gaps", wants_caller=True, ephemeral=True, trusted_only=True, admin=True))
RESOLVE = register(CommandSpec(
    "gaps resolve", "Mark a group of unanswered questions resolved (admins)", gaps_resolve,
    (Option("group", "The group's number, from the gap list", type=int, required=True, min_value=1,
            max_value=2**40),),
    example="/gaps resolve group:12", wants_caller=True, ephemeral=True, trusted_only=True, admin=True))
