"""The demos an LLM runs take the limits of /plot and /demo (bot.runtime.tool_limits)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import pytest

from bot.runtime.limits import Cooldowns, GuildGate
from bot.runtime.tool_limits import limited_tool_runner
from tools.errors import UserInputError


@dataclass(frozen=True)
class Spec:
    name: str
    heavy: bool


HEAVY, LIGHT = Spec("plot gradient-flow", True), Spec("demo activations", False)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def make(gate=None, clock=None, **kw):
    ran = []

    async def run(spec, kwargs):
        ran.append(spec.name)
        await asyncio.sleep(0)
        return spec.name

    cooldowns = Cooldowns(clock or Clock())
    runner = limited_tool_runner(run, cooldowns=cooldowns, gate=gate or GuildGate(3), user_id=7, guild_id=1,
                                 heavy_cooldown_s=10.0, **kw)
    return runner, ran, cooldowns


def test_a_heavy_demo_takes_the_students_heavy_cooldown():
    clock = Clock()
    runner, ran, cooldowns = make(clock=clock, max_calls=10)
    assert asyncio.run(runner(HEAVY, {})) == HEAVY.name
    with pytest.raises(UserInputError, match="was not run: slow down"):
        asyncio.run(runner(HEAVY, {}))
    assert asyncio.run(runner(LIGHT, {})) == LIGHT.name  # light demos have no heavy cooldown
    with pytest.raises(Exception, match="slow down"):  # and /plot typed now is refused too
        cooldowns.hit(7, "heavy", 10.0)
    clock.now += 11
    assert asyncio.run(runner(HEAVY, {})) == HEAVY.name and ran == [HEAVY.name, LIGHT.name, HEAVY.name]


def test_a_full_server_refuses_the_models_heavy_demo():
    gate = GuildGate(1)
    runner, ran, _ = make(gate=gate)
    with gate.slot(1):  # a /plot of someone else in the same server is running
        with pytest.raises(UserInputError, match="busy: this server already has 1 demos running"):
            asyncio.run(runner(HEAVY, {}))
    assert ran == [] and gate.in_flight(1) == 0


def test_the_slot_is_held_while_the_demo_runs():
    gate = GuildGate(3)
    seen = []

    async def run(spec, kwargs):
        seen.append(gate.in_flight(1))
        return "ok"

    runner = limited_tool_runner(run, cooldowns=Cooldowns(Clock()), gate=gate, user_id=7, guild_id=1,
                                 heavy_cooldown_s=0.0)
    asyncio.run(runner(HEAVY, {}))
    assert seen == [1] and gate.in_flight(1) == 0


def test_more_demos_than_allowed_for_one_answer_are_refused():
    runner, ran, _ = make(max_calls=2)
    asyncio.run(runner(LIGHT, {}))
    asyncio.run(runner(LIGHT, {}))
    with pytest.raises(UserInputError, match="only 2 demos may run for one answer"):
        asyncio.run(runner(LIGHT, {}))
    assert len(ran) == 2


def test_a_full_worker_queue_is_a_tool_error():
    from bot.runtime.runner import QueueFull

    async def run(spec, kwargs):
        raise QueueFull("busy: too many demos are queued; try again in a minute")

    runner = limited_tool_runner(run, cooldowns=Cooldowns(Clock()), gate=GuildGate(3), user_id=7, guild_id=1,
                                 heavy_cooldown_s=0.0)
    with pytest.raises(UserInputError, match="was not run: busy: too many demos"):
        asyncio.run(runner(HEAVY, {}))
