"""The real TutorBot (discord.py) end to end against the local Discord stand-in on 127.0.0.1.

Each test starts a stand-in (REST + gateway speaking Discord API v10), runs TutorBot against it,
and drives it as students would: slash commands, buttons, attachments, mentions.
"""

from __future__ import annotations

import asyncio
import io
import sqlite3
from collections.abc import Awaitable, Callable
from typing import Any
from unittest.mock import create_autospec

import pytest
from PIL import Image as PILImage

from bot.frontends.discord_bot import TutorBot
from bot.settings import Settings
from tests.discord_standin import DiscordStandIn, UploadFile

TEST_TIMEOUT_S = 120.0
EPHEMERAL = 1 << 6
MANAGE_GUILD = 1 << 5


def make_settings(tmp_path, **overrides: Any) -> Settings:
    values: dict[str, Any] = dict(data_dir=tmp_path / "var", cooldown_s=0, heavy_cooldown_s=0,
                                  worker_processes=2, tool_timeout_s=60, guild_max_heavy=25)
    values.update(overrides)
    return Settings(**values)


def run(services, settings_factory: Callable[[DiscordStandIn], Settings],
        scenario: Callable[[DiscordStandIn, TutorBot], Awaitable[None]]) -> DiscordStandIn:
    async def main() -> DiscordStandIn:
        async with DiscordStandIn() as standin:
            bot = TutorBot(settings_factory(standin), services=services)
            async with standin.run_client(bot, timeout=60):
                await scenario(standin, bot)
            return standin

    return asyncio.run(asyncio.wait_for(main(), TEST_TIMEOUT_S))


def png_bytes() -> bytes:
    buf = io.BytesIO()
    PILImage.new("RGB", (64, 48), (120, 30, 200)).save(buf, format="PNG")
    return buf.getvalue()


def test_startup_syncs_every_registry_command_to_the_dev_guild_only(services, tmp_path):
    async def scenario(standin: DiscordStandIn, bot: TutorBot) -> None:
        assert [guild for _, guild, _ in standin.sync_calls] == [standin.guild.id]  # never global at start
        names = {name for name, _ in standin.guild_commands[standin.guild.id]}
        assert {"ask", "search", "explain", "roadmap", "help", "plot", "metrics", "embeddings", "demo", "image",
                "admin"} <= names
        plot = standin.find_command("plot", guild_id=standin.guild.id)
        flow = next(o for o in plot["options"] if o["name"] == "gradient-flow")
        depth = next(o for o in flow["options"] if o["name"] == "depth")
        assert (depth["min_value"], depth["max_value"]) == (1, 100) and depth["description"]
        activation = next(o for o in flow["options"] if o["name"] == "activation")
        assert {c["value"] for c in activation["choices"]} >= {"sigmoid", "relu"}
        admin = standin.find_command("admin", guild_id=standin.guild.id)
        assert str(admin["default_member_permissions"]) == str(MANAGE_GUILD)

    run(services, lambda s: make_settings(tmp_path, dev_guild_id=s.guild.id), scenario)


def test_ask_defers_at_once_then_answers_with_sources_buttons_and_no_pings(services, tmp_path):
    async def scenario(standin: DiscordStandIn, bot: TutorBot) -> None:
        handle = await standin.send_slash_command(
            "ask", {"question": "@everyone why does my 20-layer sigmoid net stop learning?"})
        cb = await handle.wait_for_response(timeout=3)
        assert cb.type == 5 and handle.response_latency < 1.0
        final = await handle.wait_for_final(timeout=10)
        embed = final.embed
        assert "[1]" in embed["description"] and "sigmoid" in embed["description"].lower()
        assert embed["fields"][0]["name"] == "Sources" and "Vanishing Gradient" in embed["fields"][0]["value"]
        ids = final.custom_ids
        passages = next(c for c in ids if c.startswith("tutor:passages:"))
        up = next(c for c in ids if c.startswith("tutor:vote:up:"))
        assert final.mention_everyone is False
        assert final.sent_payloads[-1]["allowed_mentions"]["parse"] == []

        shown = await standin.send_component(passages)
        shown_cb = await shown.wait_for_response(timeout=5)
        assert shown_cb.ephemeral and shown_cb.embed["fields"]

        vote = await standin.send_component(up)
        vote_cb = await vote.wait_for_response(timeout=5)
        assert vote_cb.ephemeral and "👍 1" in vote_cb.content
        answer_id = up.rsplit(":", 1)[1]
        assert await asyncio.to_thread(bot.store.votes, answer_id) == (1, 0)

    run(services, lambda s: make_settings(tmp_path), scenario)


def test_feedback_buttons_keep_working_after_a_restart(services, tmp_path):
    """The custom_id carries the answer id and answers live in SQLite: a new bot process handles
    a click on a button it never sent."""

    async def main() -> None:
        async with DiscordStandIn() as standin:
            async with standin.run_client(TutorBot(make_settings(tmp_path), services=services), timeout=60):
                handle = await standin.send_slash_command("ask", {"question": "what does batch norm do at inference?"})
                final = await handle.wait_for_final(timeout=10)
                down = next(c for c in final.custom_ids if c.startswith("tutor:vote:down:"))
                passages = next(c for c in final.custom_ids if c.startswith("tutor:passages:"))
            restarted = TutorBot(make_settings(tmp_path), services=services)
            async with standin.run_client(restarted, timeout=60):
                vote = await standin.send_component(down, final.id)
                cb = await vote.wait_for_response(timeout=5)
                assert cb.ephemeral and "👎 1" in cb.content
                shown = await standin.send_component(passages, final.id)
                assert (await shown.wait_for_response(timeout=5)).embed["fields"]
                answer_id = down.rsplit(":", 1)[1]
                assert await asyncio.to_thread(restarted.store.votes, answer_id) == (0, 1)

    asyncio.run(asyncio.wait_for(main(), TEST_TIMEOUT_S))


def test_heavy_demo_runs_off_the_loop_and_returns_a_png(services, tmp_path):
    async def scenario(standin: DiscordStandIn, bot: TutorBot) -> None:
        handle = await standin.send_slash_command("plot gradient-flow", {"depth": 12, "activation": "sigmoid"})
        cb = await handle.wait_for_response(timeout=3)
        assert cb.type == 5
        final = await handle.wait_for_final(timeout=60)
        assert final.attachments and final.attachments[0].data.startswith(b"\x89PNG")
        assert final.embed["image"]["url"] == final.attachments[0].url
        assert "first" in final.embed["description"].lower() or "layer" in final.embed["description"].lower()

    run(services, lambda s: make_settings(tmp_path), scenario)


def test_bot_stays_responsive_while_twenty_heavy_commands_run(services, tmp_path):
    async def scenario(standin: DiscordStandIn, bot: TutorBot) -> None:
        users = [standin.add_user(f"student{i}") for i in range(20)]
        heavy = [await standin.send_slash_command("demo activations", user=u) for u in users]
        for h in heavy:
            assert (await h.wait_for_response(timeout=3)).type == 5
        quick = await standin.send_slash_command("help")
        cb = await quick.wait_for_response(timeout=3)  # Discord's deadline for the first response
        assert cb.type == 4
        assert cb.ephemeral and "/ask" in cb.embed["description"]
        assert sum(not h.original.loading for h in heavy) < 20  # the heavy work was still going on
        for h in heavy:
            final = await h.wait_for_final(timeout=90)
            assert final.attachments and final.attachments[0].data.startswith(b"\x89PNG")

    run(services, lambda s: make_settings(tmp_path), scenario)


def test_user_errors_are_ephemeral_with_the_accepted_form(services, tmp_path):
    async def scenario(standin: DiscordStandIn, bot: TutorBot) -> None:
        handle = await standin.send_slash_command("metrics confusion-matrix", {"matrix": "[[1,2],[3]]"})
        await handle.wait_for_followup(count=1, timeout=20)
        message = handle.followups[-1]
        assert message.ephemeral and message is not handle.original
        assert "rows have different lengths" in message.content and "Usage:" in message.content
        assert "\n" not in message.content.split("\nUsage:")[0]  # the problem itself is one line
        assert handle.original.deleted  # the public "thinking…" placeholder is gone

    run(services, lambda s: make_settings(tmp_path), scenario)


def test_cooldown_guild_cap_and_timeout_messages(services, tmp_path):
    async def scenario(standin: DiscordStandIn, bot: TutorBot) -> None:
        first = await standin.send_slash_command("ask", {"question": "what is relu"})
        second = await standin.send_slash_command("ask", {"question": "what is relu again"})
        cb = await second.wait_for_response(timeout=3)
        assert cb.ephemeral and "slow down" in cb.content
        await first.wait_for_final(timeout=10)

        busy_users = [standin.add_user(f"b{i}") for i in range(2)]
        running = await standin.send_slash_command("demo batchnorm", {"steps": 1000}, user=busy_users[0])
        assert (await running.wait_for_response(timeout=3)).type == 5
        refused = await standin.send_slash_command("demo activations", user=busy_users[1])
        cb = await refused.wait_for_response(timeout=3)
        assert cb.ephemeral and "busy" in cb.content
        await running.wait_for_followup(count=1, timeout=30)
        assert "took longer than" in running.followups[-1].content and running.followups[-1].ephemeral

    run(services, lambda s: make_settings(tmp_path, cooldown_s=30, guild_max_heavy=1, tool_timeout_s=2.0), scenario)


def test_image_attachment_is_processed(services, tmp_path):
    async def scenario(standin: DiscordStandIn, bot: TutorBot) -> None:
        handle = await standin.send_slash_command(
            "image", {"op": "edges"}, attachments={"attachment": UploadFile("photo.png", png_bytes())})
        final = await handle.wait_for_final(timeout=60)
        assert final.attachments and final.attachments[0].data.startswith(b"\x89PNG")

        bad = await standin.send_slash_command(
            "image", {"op": "edges"}, attachments={"attachment": UploadFile("notes.png", b"not an image at all")})
        await bad.wait_for_followup(count=1, timeout=30)
        assert bad.followups[-1].ephemeral and "image" in bad.followups[-1].content.lower()

    run(services, lambda s: make_settings(tmp_path), scenario)


def test_mention_answers_like_ask_without_pinging(services, tmp_path):
    async def scenario(standin: DiscordStandIn, bot: TutorBot) -> None:
        sent = await standin.send_message_create("what is the dying relu problem? @everyone",
                                                 mentions=[standin.bot_user])
        reply = await sent.wait_for_response(timeout=15)
        assert reply.embed and "relu" in reply.embed["description"].lower()
        assert reply.allowed_mentions["parse"] == [] and reply.mention_everyone is False

    run(services, lambda s: make_settings(tmp_path), scenario)


def test_admin_commands_are_refused_without_manage_server(services, tmp_path):
    async def scenario(standin: DiscordStandIn, bot: TutorBot) -> None:
        refused = await standin.send_slash_command("admin stats", permissions=0)
        cb = await refused.wait_for_response(timeout=3)
        assert cb.ephemeral and "Manage Server" in cb.content
        allowed = await standin.send_slash_command("admin stats", permissions=MANAGE_GUILD)
        cb = await allowed.wait_for_response(timeout=3)
        assert cb.ephemeral and "Tutor bot stats" in cb.embed["title"]

    run(services, lambda s: make_settings(tmp_path), scenario)


def test_unexpected_errors_become_an_apology_with_an_error_id(services, tmp_path, monkeypatch):
    # the real method's signature: a call it would reject fails as a TypeError, not as this bug
    boom = create_autospec(services.answerer.answer, side_effect=RuntimeError("simulated bug"))

    async def scenario(standin: DiscordStandIn, bot: TutorBot) -> None:
        monkeypatch.setattr(services.answerer, "answer", boom)
        handle = await standin.send_slash_command("ask", {"question": "what is relu"})
        await handle.wait_for_followup(count=1, timeout=10)
        text = handle.followups[-1].content
        assert "error id" in text and "simulated" not in text and handle.followups[-1].ephemeral
        boom.assert_called_once()  # the apology is for the simulated bug

    run(services, lambda s: make_settings(tmp_path), scenario)


def test_long_article_is_paged_with_buttons(services, tmp_path):
    async def scenario(standin: DiscordStandIn, bot: TutorBot) -> None:
        handle = await standin.send_slash_command("explain", {"topic": "relu"})
        cb = await handle.wait_for_response(timeout=3)
        assert cb.type == 4 and "Page 1/" in cb.embed["footer"]["text"]
        previous_id, next_id, check_id = handle.original.custom_ids  # the pager, then "Quiz me on this"
        assert check_id == "tutor:act:checkme:c:relu"
        click = await standin.send_component(next_id)
        page = await click.wait_for_response(timeout=3)
        assert page.type == 7 and "Page 2/" in handle.original.embed["footer"]["text"]
        assert handle.original.embed["description"] != cb.embed["description"]

    run(services, lambda s: make_settings(tmp_path), scenario)


def test_sigterm_shuts_down_gracefully_finishing_in_flight_work(services, tmp_path, monkeypatch):
    import os
    import signal

    from bot.frontends import discord_bot

    bots: list[TutorBot] = []
    real_init = TutorBot.__init__

    def remember(self, settings, services_arg=None):
        real_init(self, settings, services=services)
        bots.append(self)

    monkeypatch.setattr(TutorBot, "__init__", remember)

    async def main() -> None:
        async with DiscordStandIn() as standin:
            settings = make_settings(tmp_path, discord_token=standin.token)
            serve = asyncio.create_task(discord_bot._serve(settings))
            await standin.wait_until_connected(60)
            await asyncio.wait_for(bots[0].wait_until_ready(), 60)
            handle = await standin.send_slash_command("demo activations")
            assert (await handle.wait_for_response(timeout=5)).type == 5
            os.kill(os.getpid(), signal.SIGTERM)
            await asyncio.wait_for(serve, 60)
            final = handle.original
            assert not final.loading and final.attachments  # the in-flight demo finished first
            assert bots[0].is_closed()
            with pytest.raises(sqlite3.ProgrammingError, match="closed"):
                bots[0].store.stats()  # the database connection was closed

    asyncio.run(asyncio.wait_for(main(), TEST_TIMEOUT_S))


CSV = ("hours,prior,passed\n" + "\n".join(
    f"{h},{p},{int(h * 0.8 + p * 0.5 + (i % 3) > 6)}" for i, (h, p) in enumerate(
        [(x % 9 + 1, (x * 7) % 5 + 1) for x in range(60)]))).encode()

HAPPY_PATHS: list[tuple[str, dict[str, Any], dict[str, Any], bool]] = [
    # (command, options, attachments, expects an image)
    ("ask", {"question": "how do I read an odds ratio?"}, {}, False),
    ("search", {"query": "otsu threshold", "k": 3}, {}, False),
    ("explain", {"topic": "focal-loss"}, {}, False),
    ("roadmap", {}, {}, False),
    ("help", {"command": "ask"}, {}, False),
    ("plot gradient-flow", {"depth": 8, "compare": True}, {}, True),
    ("demo activations", {}, {}, True),
    ("demo batchnorm", {"steps": 20}, {}, True),
    ("metrics confusion-matrix", {"matrix": "50 10; 5 35", "labels": "cat,dog"}, {}, True),
    ("metrics pr-curve", {"scenario": "cancer"}, {}, True),
    ("embeddings compare", {"word": "bank", "sentence1": "I sat on the river bank",
                            "sentence2": "I deposited cash at the bank"}, {}, True),
    ("embeddings neighbours", {"word": "frog", "k": 5}, {}, True),
    ("embeddings analogy", {"expression": "king - man + woman"}, {}, True),
    ("demo focal-loss", {}, {}, True),
    ("demo feature-scaling", {}, {}, True),
    ("demo logistic", {"dataset": "wine_binary"}, {}, True),
    ("demo logistic", {"target": "passed"}, {"file": ("grades.csv", CSV)}, True),
    ("demo tuning", {"budget": 5}, {}, True),
    ("image", {"op": "clahe"}, {}, True),
]


def test_every_command_happy_path_through_discord(services, tmp_path):
    """Each slash command end to end: acknowledged within Discord's 3 s, then a real reply
    (with a PNG attached for every plotting command)."""

    async def scenario(standin: DiscordStandIn, bot: TutorBot) -> None:
        problems = []
        for command, options, files, wants_image in HAPPY_PATHS:
            uploads = {k: UploadFile(*v) for k, v in files.items()}
            handle = await standin.send_slash_command(command, options, attachments=uploads or None)
            cb = await handle.wait_for_response(timeout=3)
            final = await handle.wait_for_final(timeout=90, predicate=lambda m: not m.loading)
            label = f"/{command} {options}"
            if cb.type not in (4, 5) or handle.response_latency > 3:
                problems.append(f"{label}: not acknowledged in time")
            elif final is None or not final.embeds:
                problems.append(f"{label}: no embed (content {getattr(final, 'content', None)!r})")
            elif wants_image and not (final.attachments and final.attachments[0].data.startswith(b"\x89PNG")):
                problems.append(f"{label}: no PNG attached")
            elif final.embeds[0].get("colour", final.embeds[0].get("color")) == 0xED4245:
                problems.append(f"{label}: error reply {final.embeds[0].get('description')!r}")
        assert not problems, "\n".join(problems)

    run(services, lambda s: make_settings(tmp_path), scenario)


def test_client_resumes_after_a_dropped_gateway_connection(services, tmp_path):
    async def scenario(standin: DiscordStandIn, bot: TutorBot) -> None:
        session_id = standin.session.id
        standin.force_reconnect()
        handle = await standin.send_slash_command("roadmap")
        await standin.wait_for(lambda: standin.resumes, timeout=10, what="RESUME")
        assert standin.resumes[0]["session_id"] == session_id
        assert (await handle.wait_for_response(timeout=10)).type in (4, 5)
        final = await handle.wait_for_final(timeout=20, predicate=lambda m: bool(m.embeds))
        assert "roadmap" in final.embed["title"].lower()
        assert len(standin.identify_payloads) == 1  # resumed, not re-identified

    run(services, lambda s: make_settings(tmp_path), scenario)
