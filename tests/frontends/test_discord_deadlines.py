"""Buttons, forms, menus and autocomplete have deadlines too: a slow button is deferred before
Discord's 3 s and then answered; one past the light deadline is told so; slow suggestions are
dropped (an empty list) instead of failing the interaction."""

from __future__ import annotations

import time

import pytest

import bot.frontends.discord_bot as discord_bot
from bot.commands.registry import run_action as real_run_action
from bot.frontends.discord_bot import TutorBot
from tests.discord_standin import DiscordStandIn
from tests.frontends.test_discord_e2e import make_settings, run


def slow(seconds: float):  # noqa: ANN201
    def run_action(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202 - the registry's, late
        time.sleep(seconds)
        return real_run_action(*args, **kwargs)

    return run_action


async def _a_quiz_button(standin: DiscordStandIn) -> str:
    handle = await standin.send_slash_command("explain", {"topic": "relu"})
    final = await handle.wait_for_final(timeout=10, predicate=lambda m: bool(m.embeds))
    return next(c for c in final.custom_ids if c.startswith("tutor:act:"))


def test_a_slow_button_is_deferred_in_time_then_answered(services, tmp_path, monkeypatch: pytest.MonkeyPatch):
    async def scenario(standin: DiscordStandIn, bot: TutorBot) -> None:
        button = await _a_quiz_button(standin)
        monkeypatch.setattr(discord_bot, "run_action", slow(2.2))
        click = await standin.send_component(button)
        cb = await click.wait_for_response(timeout=3)
        assert cb.type == 5 and click.response_latency < 2.5  # acknowledged before Discord's 3 s
        answered = await click.wait_for(
            lambda h: h.original if h.original is not None and not h.original.loading and h.original.embeds else None,
            timeout=15)
        assert "took longer" not in (answered.content or "") and answered.embeds[0].get("description")

    run(services, lambda s: make_settings(tmp_path), scenario)


def test_a_button_past_its_deadline_is_told_so(services, tmp_path, monkeypatch: pytest.MonkeyPatch):
    async def scenario(standin: DiscordStandIn, bot: TutorBot) -> None:
        button = await _a_quiz_button(standin)
        monkeypatch.setattr(discord_bot, "run_action", slow(4.0))
        started = time.monotonic()
        click = await standin.send_component(button)
        cb = await click.wait_for_response(timeout=3)
        if not cb.content:  # acknowledged first, then told in a follow-up
            await click.wait_for_followup(count=1, timeout=10)
        message = cb if cb.content else click.followups[-1]
        assert "took longer than 1 s" in message.content and message.ephemeral
        assert time.monotonic() - started < 3.5  # told at the deadline, not when the thread finished

    run(services, lambda s: make_settings(tmp_path, tool_timeout_s=1.0), scenario)


def test_slow_suggestions_are_dropped_not_failed(services, tmp_path, monkeypatch: pytest.MonkeyPatch):
    import bot.commands.knowledge_cmds as knowledge_cmds

    real_suggest = knowledge_cmds.suggest_topics

    def slow_suggest(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        time.sleep(5)
        return real_suggest(*args, **kwargs)

    async def scenario(standin: DiscordStandIn, bot: TutorBot) -> None:
        quick = await standin.send_autocomplete("explain", {"topic": "rel"}, "topic")
        assert any(c["value"] == "relu" for c in (await quick.wait_for_response(timeout=3)).choices)
        monkeypatch.setattr(knowledge_cmds, "suggest_topics", slow_suggest)
        started = time.monotonic()
        late = await standin.send_autocomplete("explain", {"topic": "rel"}, "topic")
        cb = await late.wait_for_response(timeout=3)
        assert cb.choices == [] and time.monotonic() - started < 3.0

    run(services, lambda s: make_settings(tmp_path), scenario)
