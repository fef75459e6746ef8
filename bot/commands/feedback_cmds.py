"""What the chat front end records about its answers: 👍/👎 votes (a 👎 sends the question to
the gap log) and ``stats``, usage and feedback over the last week (``/admin stats`` on Discord)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from bot.commands.knowledge_cmds import log_gap
from bot.commands.registry import ACTION_PREFIX, CommandSpec, Option, register, require_trusted
from bot.context import Caller
from bot.reply import Reply
from bot.runtime.runner import heavy_in_flight
from tools.errors import UserInputError

if TYPE_CHECKING:
    from bot.services import Services

VOTE_COMMAND = "vote"  # buttons run "action vote" with the payload "up:<answer id>" or "down:<answer id>"
VOTE_PAYLOAD = re.compile(r"(up|down):([0-9a-f]{6,32})")
STATS_DAYS = 7
STATS_COMMANDS_SHOWN = 15


def vote(services: Services, caller: Caller, payload: str) -> Reply:
    """Record the caller's vote on a saved answer (a new vote replaces theirs); a 👎 logs the
    question as a gap, once per answer."""
    match = VOTE_PAYLOAD.fullmatch(payload)
    if match is None:
        raise UserInputError("that button is no longer valid")
    value, answer_id = (1 if match.group(1) == "up" else -1), match.group(2)
    store = services.chat_store
    if not store.vote(answer_id, caller.user_id, value):
        return Reply(text="I can't find that answer any more.", ephemeral=True, notice=True)
    up, down = store.votes(answer_id)
    if value < 0:
        stored = store.get_answer(answer_id)
        if stored is not None:
            best = services.kb.search(stored.question, k=1, guild_id=caller.guild_id).best_dense
            log_gap(services, caller.guild_id, stored.question, best, "downvote", answer_id, caller.user_id)
    return Reply(text=f"Thanks for the feedback! This answer has 👍 {up} · 👎 {down}.", ephemeral=True, notice=True,
                 data={"answer_id": answer_id, "up": up, "down": down})


def stats(services: Services, caller: Caller) -> Reply:
    require_trusted(caller, "see the bot's statistics")
    data = services.chat_store.stats(since_s=STATS_DAYS * 86400)
    lines = [f"Users: {data['users']} · 👍 {data['votes_up']} · 👎 {data['votes_down']}",
             f"Heavy demos running now: {heavy_in_flight()}", ""]
    for row in data["commands"][:STATS_COMMANDS_SHOWN]:
        lines.append(f"`/{row['command']}` — {row['count']} uses, avg {row['avg_ms']:.0f} ms, {row['errors']} errors")
    return Reply(text="\n".join(lines), title=f"Tutor bot stats ({STATS_DAYS} days)", data=data, ephemeral=True)


register(CommandSpec(f"{ACTION_PREFIX}{VOTE_COMMAND}", "Vote on an answer (button)", vote,
                     (Option("payload", "up:<answer id> or down:<answer id>", required=True, max_length=80),),
                     hidden=True, wants_caller=True, ephemeral=True))
register(CommandSpec("stats", "Usage and feedback over the last 7 days (admins)", stats, example="/stats",
                     wants_caller=True, ephemeral=True, trusted_only=True, admin=True, instant=True))
