"""The real TutorBot in a busy server, through the Discord stand-in: 429s survived without losing a
reply, streamed answers sharing one channel's edit budget, follow-up threads (button and
automatic) whose questions see the earlier turns, help forums, a user-installed app used in a
private channel, and the shard switch."""

from __future__ import annotations

import asyncio
from typing import Any
from unittest.mock import create_autospec

import discord
import pytest

from bot.frontends.discord_bot import ShardedTutorBot, TutorBot, create_bot
from bot.llm.backend import ExtractiveBackend
from bot.services import Services
from bot.settings import Settings
from tests.discord_standin import DiscordStandIn
from tests.frontends.test_discord_e2e import MANAGE_GUILD, TEST_TIMEOUT_S, make_settings, run
from tests.frontends.test_discord_llm import ANSWER, llm  # noqa: F401 - llm is a fixture
from tests.llm.standin import Say

THREAD_BUTTON = "tutor:thread:"


def test_replies_survive_route_and_global_429s_after_waiting_retry_after(services, tmp_path):
    async def scenario(standin: DiscordStandIn, bot: TutorBot) -> None:
        # the deferred /ask's final edit is rate limited once (the interaction's webhook bucket)
        standin.rate_limit_next("PATCH", r"/webhooks/\d+/[^/]+/messages/@original$", retry_after=0.4)
        handle = await standin.send_slash_command("ask", {"question": "what does batch norm do at inference?"})
        final = await handle.wait_for_final(timeout=20, predicate=lambda m: bool(m.embeds))
        assert "batch" in final.embed["description"].lower()
        edits = [r for r in standin.requests if r.method == "PATCH" and r.path.endswith("/messages/@original")]
        assert edits[0].status == 429 and edits[1].status == 200
        assert edits[1].at - edits[0].at >= 0.4  # discord.py waited retry_after, then retried

        # a mention's reply meets the bot-wide (global) limit
        standin.rate_limit_next("POST", r"/channels/\d+/messages$", retry_after=0.3, scope="global")
        sent = await standin.send_message_create("what is the dying relu problem?", mentions=[standin.bot_user])
        reply = await sent.wait_for_response(timeout=20)
        await standin.wait_for(lambda: reply.embeds, timeout=20, what="the mention's answer")
        posts = [r for r in standin.requests if r.method == "POST" and r.path.endswith("/messages")]
        assert [r.status for r in posts[:2]] == [429, 200] and posts[1].at - posts[0].at >= 0.3
        assert len(standin.rate_limited) == 2 and len(sent.replies) == 1  # nothing lost, nothing doubled

    run(services, lambda s: make_settings(tmp_path), scenario)


def run_with_llm(services_base, tmp_path, llm_server, scenario, **settings: Any) -> None:
    async def main() -> None:
        async with DiscordStandIn() as standin:
            config = make_settings(tmp_path, llm_base_url=llm_server.url, llm_model=llm_server.model, llm_timeout_s=10,
                                   **settings)
            llm_services = Services(config)
            llm_services.__dict__["kb"] = services_base.kb  # the session's warm index and answerer
            llm_services.__dict__["answerer"] = services_base.answerer
            async with standin.run_client(TutorBot(config, services=llm_services), timeout=60) as bot:
                await scenario(standin, bot)

    asyncio.run(asyncio.wait_for(main(), TEST_TIMEOUT_S))


def preview_times(message) -> list[float]:
    return [t for t, version in message.history if version.get("content") and not version.get("embeds")]


def test_streamed_answers_in_one_channel_share_one_edit_budget(services, tmp_path, llm):
    llm.reset()
    llm.push(*(Say(ANSWER, chunk_chars=6, delay_s=0.1) for _ in range(2)))

    async def scenario(standin: DiscordStandIn, bot: TutorBot) -> None:
        users = [standin.add_user(f"s{i}") for i in range(2)]
        handles = [await standin.send_slash_command("ask", {"question": "why does my deep sigmoid net stop learning?"},
                                                    user=u) for u in users]
        finals = [await h.wait_for_final(timeout=120, predicate=lambda m: bool(m.embeds)) for h in handles]
        assert all("0.25" in f.embed["description"] for f in finals)  # every reply arrived
        per_stream = [preview_times(f) for f in finals]
        assert all(per_stream), "both answers should have been shown while they streamed"
        merged = sorted(t for times in per_stream for t in times)
        gaps = [b - a for a, b in zip(merged, merged[1:])]
        assert all(gap >= 0.9 for gap in gaps), f"edits in one channel closer than the budget: {gaps}"

    run_with_llm(services, tmp_path, llm, scenario)


def test_follow_up_thread_from_the_button_carries_the_turns_extractive(services, tmp_path, monkeypatch):
    backend = services.answer_backend
    assert isinstance(backend, ExtractiveBackend)
    spy = create_autospec(backend.answer, side_effect=backend.answer)
    monkeypatch.setattr(backend, "answer", spy)

    async def scenario(standin: DiscordStandIn, bot: TutorBot) -> None:
        first = await standin.send_slash_command("ask", {"question": "what is the dying relu problem?"})
        final = await first.wait_for_final(timeout=20, predicate=lambda m: bool(m.embeds))
        button = next(c for c in final.custom_ids if c.startswith(THREAD_BUTTON))
        click = await standin.send_component(button, final.id)
        confirmation = await click.wait_for_followup(timeout=10)
        thread = standin.guild.threads[final.id]  # opened on the answer itself
        assert confirmation.ephemeral and f"<#{thread.id}>" in confirmation.content
        assert thread.parent_id == standin.channel.id and "dying relu" in thread.name.lower()
        welcome = standin.channel_messages[thread.id][0]
        assert "/ask" in welcome.content and welcome.mention_everyone is False

        spy.reset_mock()
        follow = await standin.send_slash_command("ask", {"question": "how do I fix it?"}, channel_id=thread.id)
        answer = await follow.wait_for_final(timeout=20, predicate=lambda m: bool(m.embeds))
        history = spy.call_args.args[1]
        assert [turn.question for turn in history] == ["what is the dying relu problem?"]
        assert "relu" in answer.embed["description"].lower()  # read with the question before it
        assert not any(c.startswith(THREAD_BUTTON) for c in answer.custom_ids)  # already in a thread

        spy.reset_mock()
        mention = await standin.send_message_create("and does leaky relu have the same issue?",
                                                    mentions=[standin.bot_user], channel_id=thread.id)
        await mention.wait_for_response(timeout=20)
        assert [t.question for t in spy.call_args.args[1]] == ["what is the dying relu problem?", "how do I fix it?"]

        again = await standin.send_component(button, final.id)  # a second click points to the thread
        assert f"<#{thread.id}>" in (await again.wait_for_response(timeout=5)).content
        assert len(standin.guild.threads) == 1

    run(services, lambda s: make_settings(tmp_path), scenario)


def test_follow_up_in_a_thread_sends_the_earlier_turns_to_the_llm(services, tmp_path, llm):
    llm.reset()
    llm.push(Say(ANSWER), Say("Use ReLU or residual connections so the gradient keeps its size [1]."))

    async def scenario(standin: DiscordStandIn, bot: TutorBot) -> None:
        first = await standin.send_slash_command("ask", {"question": "why does my deep sigmoid net stop learning?"})
        final = await first.wait_for_final(timeout=30, predicate=lambda m: bool(m.embeds))
        click = await standin.send_component(next(c for c in final.custom_ids if c.startswith(THREAD_BUTTON)), final.id)
        await click.wait_for_followup(timeout=10)
        thread = standin.guild.threads[final.id]
        follow = await standin.send_slash_command("ask", {"question": "so what should I use instead?"},
                                                  channel_id=thread.id)
        await follow.wait_for_final(timeout=30, predicate=lambda m: bool(m.embeds))
        messages = llm.requests[-1]["messages"]
        earlier = [m["content"] for m in messages if m["role"] in ("user", "assistant")][:-1]
        assert any("deep sigmoid net stop learning" in text for text in earlier)
        assert any("0.25" in text for text in earlier)  # the previous answer, without its [n] markers

    run_with_llm(services, tmp_path, llm, scenario)


def test_auto_thread_setting_opens_a_thread_under_every_answer(services, tmp_path):
    async def scenario(standin: DiscordStandIn, bot: TutorBot) -> None:
        refused = await standin.send_slash_command("admin auto-thread", {"enabled": True}, permissions=0)
        assert "Manage Server" in (await refused.wait_for_response(timeout=3)).content
        on = await standin.send_slash_command("admin auto-thread", {"enabled": True}, user=standin.owner)
        await on.wait_for_final(timeout=10)
        assert "opens a thread" in on.final_message.content
        handle = await standin.send_slash_command("ask", {"question": "what does batch norm do at inference?"})
        final = await handle.wait_for_final(timeout=20, predicate=lambda m: bool(m.embeds))
        await standin.wait_for(lambda: final.id in standin.guild.threads, timeout=10, what="the automatic thread")
        assert not any(c.startswith(THREAD_BUTTON) for c in final.custom_ids)
        thread_id = final.id
        await standin.wait_for(lambda: standin.channel_messages[thread_id], timeout=10, what="the welcome")
        assert bot.conversations.history(thread_id)[0].question == "what does batch norm do at inference?"

    run(services, lambda s: make_settings(tmp_path), scenario)


def test_help_forum_answers_confident_posts_and_stays_silent_otherwise(services, tmp_path):
    async def scenario(standin: DiscordStandIn, bot: TutorBot) -> None:
        forum = standin.add_forum("ml-help")
        await bot.wait_for("guild_channel_create", timeout=5)
        add = await standin.send_slash_command("admin forum add", {"channel": forum}, user=standin.owner)
        await add.wait_for_final(timeout=10)
        assert f"<#{forum.id}>" in add.final_message.content and add.final_message.ephemeral
        listed = await standin.send_slash_command("admin forum list", user=standin.owner)
        assert f"<#{forum.id}>" in (await listed.wait_for_final(timeout=10)).embed["description"]

        student = standin.add_user("student")
        post = await standin.create_forum_post(forum, "Dying ReLU?", "Half my ReLU units output zero for "
                                               "every input after training. Why does that happen?", author=student)
        answer = await post.wait_for_response(timeout=30)
        assert answer.channel_id == post.message.channel_id  # in the post's thread
        assert "relu" in answer.embed["description"].lower() and answer.embed["fields"][0]["name"] == "Sources"
        assert any(c.startswith("tutor:vote:up:") for c in answer.custom_ids)
        assert answer.mention_everyone is False and answer.mentioned_user_ids == []

        silent = await standin.create_forum_post(forum, "Egg timing", "How long should I boil an egg for a "
                                                 "runny yolk?", author=student)
        groups = []
        for _ in range(50):  # the bot's answer (or its silence) is decided off the loop
            groups = await asyncio.to_thread(services.gaps.groups, standin.guild.id)
            if any("boil an egg" in g.example for g in groups):
                break
            await asyncio.sleep(0.2)
        assert any("boil an egg" in g.example for g in groups)
        assert silent.replies == []

        not_watched = standin.add_forum("off-topic")
        await bot.wait_for("guild_channel_create", timeout=5)
        ignored = await standin.create_forum_post(not_watched, "Dying ReLU?", "Why do ReLU units die?")
        remove = await standin.send_slash_command("admin forum remove", {"channel": forum}, user=standin.owner)
        await remove.wait_for_final(timeout=10)
        after = await standin.create_forum_post(forum, "Vanishing gradients", "Why do deep sigmoid nets stop "
                                                "learning?", author=student)
        await asyncio.sleep(1.0)  # nothing to wait for: the bot must stay out of both
        assert ignored.replies == [] and after.replies == []

    run(services, lambda s: make_settings(tmp_path, message_content_intent=True), scenario)


def test_user_installed_commands_work_in_a_private_channel_and_server_only_ones_say_so(services, tmp_path):
    async def scenario(standin: DiscordStandIn, bot: TutorBot) -> None:
        await bot.tree.sync()  # global commands: what a user install sees
        ask = standin.find_command("ask")
        assert ask["integration_types"] == [0, 1] and ask["contexts"] == [0, 1, 2]
        admin = standin.find_command("admin")
        assert admin["integration_types"] == [0] and admin["contexts"] == [0]
        menu = standin.find_command("Save as answer", type=3)
        assert menu["integration_types"] == [0] and menu["contexts"] == [0]

        handle = await standin.send_slash_command("ask", {"question": "what is the dying relu problem?"},
                                                  private_channel=True)
        assert handle.payload["context"] == 2 and handle.payload["authorizing_integration_owners"] == {
            "1": str(standin.user.id)}
        final = await handle.wait_for_final(timeout=20, predicate=lambda m: bool(m.embeds))
        assert "relu" in final.embed["description"].lower()
        assert not any(c.startswith(THREAD_BUTTON) for c in final.custom_ids)  # no threads there

        for command in ("kb list", "leaderboard"):
            refused = await standin.send_slash_command(command, private_channel=True)
            cb = await refused.wait_for_response(timeout=5)
            assert cb.ephemeral and "works in a server that has added the bot" in cb.content, command
        # in a server where only the user installed the app, server notes are not theirs to see
        foreign = await standin.send_slash_command("kb list", user_install=True)
        assert "works in a server that has added the bot" in (await foreign.wait_for_response(timeout=5)).content

    run(services, lambda s: make_settings(tmp_path), scenario)


def test_tutor_shards_picks_the_sharded_client_and_its_shard_count(services, tmp_path):
    async def construct() -> None:
        plain = create_bot(make_settings(tmp_path / "a"), services)
        fixed = create_bot(make_settings(tmp_path / "b", shards="3"), services)
        auto = create_bot(make_settings(tmp_path / "c", shards="auto"), services)
        assert type(plain) is TutorBot and not isinstance(plain, discord.AutoShardedClient)
        assert isinstance(fixed, ShardedTutorBot) and fixed.shard_count == 3
        assert isinstance(auto, discord.AutoShardedClient) and auto.shard_count is None  # Discord decides
        for bot in (plain, fixed, auto):  # never started: only their own resources to release
            bot.runner.shutdown()
            bot.store.close()

    asyncio.run(construct())
    with pytest.raises(ValueError, match="TUTOR_SHARDS must be auto or a whole number"):
        Settings(TUTOR_SHARDS="many")

    async def main() -> None:
        async with DiscordStandIn(shards=2) as standin:
            standin.add_guild("Second server")
            bot = create_bot(make_settings(tmp_path / "d", shards="auto"), services)
            async with standin.run_client(bot, timeout=60):
                assert bot.shard_count == 2  # from GET /gateway/bot
                assert sorted(p["shard"] for p in standin.identify_payloads) == [[0, 2], [1, 2]]
                for guild in standin.guilds.values():
                    handle = await standin.send_slash_command("help", guild_id=guild.id)
                    assert (await handle.wait_for_response(timeout=5)).type == 4
                    assert bot.get_guild(guild.id).shard_id == standin.shard_of(guild.id)

    asyncio.run(asyncio.wait_for(main(), TEST_TIMEOUT_S))
