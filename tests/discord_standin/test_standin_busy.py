"""The stand-in as a busy real server looks to discord.py: rate-limit headers and 429s (per route
and global), threads and forum posts with the gateway events discord.py expects, shards, and a
user-installed app used in a private channel. Each test runs a real discord.py client."""

from __future__ import annotations

import asyncio
from typing import Any

import discord
from discord import app_commands

from tests.discord_standin import DiscordStandIn

TEST_TIMEOUT = 30.0


def run(make_client: Any, scenario: Any, **options: Any) -> DiscordStandIn:
    async def main() -> DiscordStandIn:
        async with DiscordStandIn(**options) as standin:
            client = make_client(standin)
            async with standin.run_client(client):
                await scenario(standin, client)
            return standin

    return asyncio.run(asyncio.wait_for(main(), TEST_TIMEOUT))


class Echo(discord.Client):
    """Replies to each mention with the channel it saw (so threads can be checked)."""

    def __init__(self, **options: Any) -> None:
        intents = discord.Intents.default()
        intents.message_content = options.pop("message_content", False)
        super().__init__(intents=intents, **options)
        self.threads: list[discord.Thread] = []
        self.seen: list[discord.Message] = []

    async def on_thread_create(self, thread: discord.Thread) -> None:
        self.threads.append(thread)

    async def on_message(self, message: discord.Message) -> None:
        if message.author != self.user:
            self.seen.append(message)
        if message.author == self.user or self.user not in message.mentions:
            return
        await message.channel.send(f"seen in {type(message.channel).__name__}")


def test_responses_carry_rate_limit_headers_per_route_bucket():
    async def scenario(standin: DiscordStandIn, client: Echo) -> None:
        channel = client.get_channel(standin.channel.id)
        other = standin.add_channel("other")
        await client.wait_for("guild_channel_create", timeout=5)
        first = await channel.send("one")
        await channel.send("two")
        await client.get_channel(other.id).send("three")
        posts = [r for r in standin.requests if r.method == "POST" and r.path.endswith("/messages")]
        assert len(posts) == 3 and all(r.status == 200 for r in posts)
        buckets = standin._buckets
        per_channel = {major: count for (bucket, major), (count, _) in buckets.items()
                       if major in (str(standin.channel.id), str(other.id))}
        assert per_channel[str(standin.channel.id)] == 2 and per_channel[str(other.id)] == 1
        await first.edit(content="edited")  # another route: its own bucket
        assert standin.messages[first.id].content == "edited"

    run(lambda s: Echo(), scenario)


def test_a_spent_bucket_gets_429s_and_discord_py_waits_then_retries_without_losing_a_message():
    async def scenario(standin: DiscordStandIn, client: Echo) -> None:
        channel = client.get_channel(standin.channel.id)
        sent = await asyncio.gather(*(channel.send(f"message {i}") for i in range(5)))
        texts = [m.content for m in standin.channel_messages[standin.channel.id] if m.author.id == standin.bot_user.id]
        assert sorted(texts) == sorted(m.content for m in sent) and len(texts) == 5
        posts = [r for r in standin.requests if r.method == "POST" and r.path.endswith("/messages")]
        ok = sorted(r.at for r in posts if r.status == 200)
        assert len(ok) == 5
        # the bucket holds 2 per 0.5 s: the fifth went out at least one full window after the first
        assert ok[4] - ok[0] >= 0.5 * 2 - 0.05

    run(lambda s: Echo(), scenario,
        route_limits={"POST /channels/{channel_id}/messages": (2, 0.5)})


def test_injected_route_and_global_429s_are_waited_out_and_retried():
    async def scenario(standin: DiscordStandIn, client: Echo) -> None:
        channel = client.get_channel(standin.channel.id)
        standin.rate_limit_next("POST", r"/channels/\d+/messages$", retry_after=0.3)
        await channel.send("after a route 429")
        standin.rate_limit_next("POST", r"/channels/\d+/messages$", retry_after=0.3, scope="global")
        await channel.send("after a global 429")
        posts = [r for r in standin.requests if r.method == "POST" and r.path.endswith("/messages")]
        assert [r.status for r in posts] == [429, 200, 429, 200]
        assert posts[1].at - posts[0].at >= 0.3  # it really waited retry_after
        assert posts[3].at - posts[2].at >= 0.3
        assert [m.content for m in standin.channel_messages[standin.channel.id]] == [
            "after a route 429", "after a global 429"]
        assert len(standin.rate_limited) == 2

    run(lambda s: Echo(), scenario)


def test_the_global_limit_answers_429_with_the_global_headers():
    async def scenario(standin: DiscordStandIn, client: Echo) -> None:
        channel = client.get_channel(standin.channel.id)
        await asyncio.gather(*(channel.send(f"m{i}") for i in range(4)))
        assert len(standin.channel_messages[standin.channel.id]) == 4  # none lost
        assert any("global" in (r.error or "") for r in standin.rate_limited)

    run(lambda s: Echo(), scenario, global_limit=(2, 0.5),
        route_limits={"POST /channels/{channel_id}/messages": (50, 1.0)})


def test_threads_from_a_message_and_standalone_with_messages_in_them():
    async def scenario(standin: DiscordStandIn, client: Echo) -> None:
        channel = client.get_channel(standin.channel.id)
        message = await channel.send("start here")
        thread = await message.create_thread(name="Follow-ups")
        assert thread.id == message.id and thread.parent_id == channel.id
        stored = standin.guild.threads[thread.id]
        assert stored.type == 11 and stored.owner_id == standin.bot_user.id
        assert standin.messages[message.id].thread is stored
        await thread.send("inside the thread")
        assert [m.content for m in standin.channel_messages[thread.id]] == ["inside the thread"]
        assert stored.message_count == 1

        private = await channel.create_thread(name="Private one")
        assert private.type is discord.ChannelType.private_thread

        # a student opens a thread and mentions the bot in it
        theirs = await standin.create_thread("Student thread", channel=standin.channel)
        await client.wait_for("thread_create", check=lambda t: t.id == theirs.id, timeout=5)
        handle = await standin.send_message_create("question?", mentions=[standin.bot_user], channel_id=theirs.id)
        reply = await handle.wait_for_response(timeout=5)
        assert reply.channel_id == theirs.id and reply.content == "seen in Thread"

    run(lambda s: Echo(), scenario)


def test_a_forum_post_is_thread_create_under_the_forum_then_its_starter_message():
    async def scenario(standin: DiscordStandIn, client: Echo) -> None:
        forum = standin.add_forum("help")
        await client.wait_for("guild_channel_create", timeout=5)
        assert isinstance(client.get_channel(forum.id), discord.ForumChannel)
        starters = client.seen
        post = await standin.create_forum_post(forum, "Why does my loss go NaN?", "It happens after 3 epochs")
        thread = await client.wait_for("thread_create", timeout=5)
        await standin.wait_for(lambda: starters, timeout=5, what="the starter message")
        assert thread.parent_id == forum.id and isinstance(thread.parent, discord.ForumChannel)
        assert thread.name == "Why does my loss go NaN?" and post.message.id == thread.id
        assert starters[0].id == thread.id and starters[0].channel.id == thread.id
        assert starters[0].content == "It happens after 3 epochs"  # the bot has MESSAGE_CONTENT here
        fetched = await thread.fetch_message(thread.id)  # what a bot does when it missed the event
        assert fetched.content == "It happens after 3 epochs"
        await thread.send("an answer")
        assert [m.content for m in post.replies] == ["an answer"]

    run(lambda s: Echo(message_content=True), scenario)


def test_the_bot_posts_in_a_forum_with_a_starter_message():
    async def scenario(standin: DiscordStandIn, client: Echo) -> None:
        forum = standin.add_forum("announcements")
        await client.wait_for("guild_channel_create", timeout=5)
        created = await client.get_channel(forum.id).create_thread(name="Week 1", content="Read chapter 1")
        assert created.thread.parent_id == forum.id and created.message.id == created.thread.id
        assert standin.channel_messages[created.thread.id][0].content == "Read chapter 1"

    run(lambda s: Echo(), scenario)


def test_auto_sharded_client_asks_for_the_shard_count_and_each_shard_gets_its_guilds():
    async def scenario(standin: DiscordStandIn, client: discord.AutoShardedClient) -> None:
        assert client.shard_count == 2 and sorted(client.shards) == [0, 1]
        assert sorted(p["shard"] for p in standin.identify_payloads) == [[0, 2], [1, 2]]
        assert any(r.path.endswith("/gateway/bot") for r in standin.requests)
        guilds = {g.id for g in client.guilds}
        assert guilds == set(standin.guilds)

    def make(standin: DiscordStandIn) -> discord.AutoShardedClient:
        standin.add_guild("Second")
        standin.add_guild("Third")
        return discord.AutoShardedClient(intents=discord.Intents.default())

    run(make, scenario, shards=2)


def test_a_user_installed_command_in_a_private_channel():
    class App(discord.Client):
        def __init__(self) -> None:
            super().__init__(intents=discord.Intents.default())
            self.tree = app_commands.CommandTree(
                self, allowed_installs=app_commands.AppInstallationType(guild=True, user=True),
                allowed_contexts=app_commands.AppCommandContext(guild=True, dm_channel=True, private_channel=True))
            self.seen: list[tuple[Any, bool, bool]] = []

            @self.tree.command(description="where am I")
            async def where(interaction: discord.Interaction) -> None:
                self.seen.append((interaction.context, interaction.is_guild_integration(),
                                  interaction.is_user_integration()))
                await interaction.response.send_message("here")

        async def setup_hook(self) -> None:
            await self.tree.sync()

    async def scenario(standin: DiscordStandIn, client: App) -> None:
        command = standin.find_command("where")
        assert command["integration_types"] == [0, 1] and command["contexts"] == [0, 1, 2]
        handle = await standin.send_slash_command("where", private_channel=True)
        assert (await handle.wait_for_response(timeout=3)).content == "here"
        context, guild_install, user_install = client.seen[0]
        assert context.private_channel and not guild_install and user_install

    run(lambda s: App(), scenario)
