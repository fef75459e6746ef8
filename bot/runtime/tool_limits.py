"""The limits of ``/plot`` and ``/demo`` for the demos an LLM runs as tools while answering.

A model that calls a heavy demo takes the same per-user heavy cooldown, the same per-guild cap
and the same worker queue as the student typing the command would: one ``/ask`` must not be a
way around them. A refusal (cooldown, busy server, too many demos for one answer) goes back to
the model as a tool error it can explain, never as a failed answer.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from bot.runtime.limits import Cooldowns, GuildGate, RateLimited
from bot.runtime.runner import QueueFull
from tools.errors import UserInputError

MAX_TOOL_CALLS_PER_ANSWER = 3

Run = Callable[[Any, dict[str, Any]], Awaitable[Any]]


def limited_tool_runner(run: Run, *, cooldowns: Cooldowns, gate: GuildGate, user_id: int, guild_id: int | None,
                        heavy_cooldown_s: float, max_calls: int = MAX_TOOL_CALLS_PER_ANSWER) -> Run:
    """``run(spec, kwargs)`` (the worker pool) behind the heavy-command limits of one student
    and server, for the demos of one answer: at most ``max_calls`` of them."""
    calls = 0

    async def limited(spec: Any, kwargs: dict[str, Any]) -> Any:
        nonlocal calls
        calls += 1
        if calls > max_calls:
            raise UserInputError(f"only {max_calls} demos may run for one answer; answer with the results you have")
        try:
            if not spec.heavy:
                return await run(spec, kwargs)
            cooldowns.hit(user_id, "heavy", heavy_cooldown_s)
            with gate.slot(guild_id):
                return await run(spec, kwargs)
        except (RateLimited, QueueFull) as err:
            raise UserInputError(f"/{spec.name} was not run: {err or 'the demo queue is full'}") from None

    return limited
