"""End-to-end tests of the Discord stand-in with a real discord.py 2.x client.

Every test starts a fresh stand-in on 127.0.0.1, runs a small discord.py bot against it
(REST + gateway, zlib-stream), drives it as a Discord user would and checks what the bot
sent back.  No pytest-asyncio: each test runs one ``asyncio.run`` with a global timeout.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import struct
import zlib
from typing import Any, Awaitable, Callable, List, Optional

import aiohttp
import discord
import pytest
from discord import app_commands

from tests.discord_standin import DiscordStandIn, StandInError, StandInTimeout, UploadFile

TEST_TIMEOUT = 20.0
FRUITS = ["apple", "apricot", "banana", "blueberry", "cherry"]


def make_png(width: int = 4, height: int = 3, rgb: tuple = (200, 30, 30)) -> bytes:
    """A valid RGB PNG without Pillow."""

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    raw = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


PNG = make_png()


class ClickView(discord.ui.View):
    def __init__(self) -> None:
        super().__init__(timeout=30)

    @discord.ui.button(label="Click me", style=discord.ButtonStyle.primary, custom_id="standin:click")
    async def click(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        await interaction.response.edit_message(content=f"clicked by {interaction.user.name}", view=None)


class Feedback(discord.ui.Modal, title="Feedback"):
    text = discord.ui.TextInput(label="Your feedback", custom_id="feedback_text")

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(f"thanks: {self.text.value}", ephemeral=True)


class DemoBot(discord.Client):
    """The minimal bot under test: global + guild commands, a view, a modal, a mention reply."""

    def __init__(self, guild_id: int, **options: Any) -> None:
        super().__init__(intents=discord.Intents.default(), **options)
        self.tree = app_commands.CommandTree(self)
        self.guild_id = guild_id
        self.synced: List[app_commands.AppCommand] = []
        self.errors: List[str] = []
        self.reads: List[bytes] = []
        self._register()

    def _register(self) -> None:
        tree = self.tree

        @tree.command(description="Latency check")
        async def ping(interaction: discord.Interaction) -> None:
            embed = discord.Embed(title="Pong!", description="stand-in", colour=discord.Colour.green())
            embed.add_field(name="user", value=interaction.user.name)
            await interaction.response.send_message(embed=embed)

        @tree.command(description="Slow job: defers, then edits the original with a PNG")
        async def slow(interaction: discord.Interaction) -> None:
            await interaction.response.defer(thinking=True)
            await asyncio.sleep(0.05)
            file = discord.File(io.BytesIO(PNG), filename="plot.png")
            embed = discord.Embed(title="Plot").set_image(url="attachment://plot.png")
            await interaction.edit_original_response(content="done", embed=embed, attachments=[file])

        @tree.command(description="Show a button")
        async def buttons(interaction: discord.Interaction) -> None:
            await interaction.response.send_message("press it", view=ClickView())

        @tree.command(description="Pick a fruit")
        @app_commands.describe(fruit="Which fruit")
        async def pick(interaction: discord.Interaction, fruit: str) -> None:
            await interaction.response.send_message(f"you picked {fruit}")

        @pick.autocomplete("fruit")
        async def fruit_autocomplete(interaction: discord.Interaction, current: str) -> List[app_commands.Choice[str]]:
            return [app_commands.Choice(name=f.title(), value=f) for f in FRUITS if f.startswith(current)]

        @tree.command(description="Greets you without pinging everyone")
        async def mention(interaction: discord.Interaction) -> None:
            await interaction.response.send_message(
                f"{interaction.user.mention} hello @everyone",
                allowed_mentions=discord.AllowedMentions(everyone=False, roles=False, users=[interaction.user]),
            )

        @tree.command(description="Hash an uploaded file")
        async def inspect(interaction: discord.Interaction, file: discord.Attachment) -> None:
            data = await file.read()
            self.reads.append(data)
            digest = hashlib.sha256(data).hexdigest()[:12]
            await interaction.response.send_message(f"{file.filename} {file.size} {digest}", ephemeral=True)

        @tree.command(description="Open a form")
        async def form(interaction: discord.Interaction) -> None:
            await interaction.response.send_modal(Feedback())

        @tree.command(description="Answers too late")
        async def late(interaction: discord.Interaction) -> None:
            await asyncio.sleep(0.3)
            try:
                await interaction.response.send_message("too late?")
            except discord.NotFound as exc:
                self.errors.append(f"{exc.status} {exc.code}")

        @tree.command(description="Sends an invalid embed first")
        async def bad(interaction: discord.Interaction) -> None:
            try:
                await interaction.response.send_message(embed=discord.Embed(title="x" * 300))
            except discord.HTTPException as exc:
                self.errors.append(f"{exc.status} {exc.code}")
                await interaction.response.send_message(f"error {exc.code}")

        tutor = app_commands.Group(name="tutor", description="Tutor commands")

        @tutor.command(name="ask", description="Ask the tutor")
        async def ask(interaction: discord.Interaction, question: str, detail: int = 1) -> None:
            await interaction.response.defer(ephemeral=True, thinking=True)
            await interaction.followup.send(f"answer to {question!r} (detail {detail})")
            await interaction.followup.send("second part", ephemeral=True)

        tree.add_command(tutor)

        @tree.command(description="Guild-only command", guild=discord.Object(self.guild_id))
        async def guildonly(interaction: discord.Interaction) -> None:
            await interaction.response.send_message(f"in guild {interaction.guild_id}")

    async def setup_hook(self) -> None:
        self.synced = await self.tree.sync()
        self.synced += await self.tree.sync(guild=discord.Object(self.guild_id))

    async def on_message(self, message: discord.Message) -> None:
        if message.author == self.user or self.user not in message.mentions:
            return
        async with message.channel.typing():
            await message.reply(f"hi {message.author.mention}", mention_author=False)


def run(scenario: Callable[[DiscordStandIn, DemoBot], Awaitable[None]], **standin_options: Any) -> DiscordStandIn:
    """Start a stand-in + DemoBot, run ``scenario``, tear both down; bounded by TEST_TIMEOUT."""

    async def main() -> DiscordStandIn:
        async with DiscordStandIn(**standin_options) as standin:
            bot = DemoBot(standin.guild.id)
            async with standin.run_client(bot):
                await scenario(standin, bot)
            return standin

    return asyncio.run(asyncio.wait_for(main(), TEST_TIMEOUT))


# ------------------------------------------------------------------------------------------------


def test_login_ready_and_command_sync() -> None:
    async def scenario(standin: DiscordStandIn, bot: DemoBot) -> None:
        assert bot.is_ready()
        assert bot.user is not None and bot.user.id == standin.bot_user.id
        assert bot.application_id == standin.application_id
        guild = bot.get_guild(standin.guild.id)
        assert guild is not None and guild.get_channel(standin.channel.id) is not None
        assert guild.member_count == 3 and guild.me is not None  # others aren't cached without the members intent

        # the gateway really used zlib-stream + v10/json, and heartbeats were ACKed
        connect = standin.gateway_connects[0]
        assert connect["v"] == "10" and connect["encoding"] == "json"
        assert connect["negotiated_compression"] == "zlib-stream"
        assert any(p.get("op") == 1 for p in standin.gateway_received)
        assert standin.identify_payloads[0]["intents"] == discord.Intents.default().value

        # global + guild sync recorded and echoed back with ids
        scopes = [guild_id for _, guild_id, _ in standin.sync_calls]
        assert scopes == [None, standin.guild.id]
        assert {"ping", "slow", "buttons", "pick", "mention", "inspect", "form", "tutor"} <= {
            name for name, _ in standin.global_commands
        }
        assert set(standin.guild_commands[standin.guild.id]) == {("guildonly", 1)}
        assert all(cmd.id for cmd in bot.synced)
        tutor = standin.find_command("tutor")
        assert tutor is not None and tutor["options"][0]["name"] == "ask" and tutor["options"][0]["type"] == 1

        fetched = await bot.tree.fetch_commands()
        assert {c.name for c in fetched} == {name for name, _ in standin.global_commands}
        assert {c.id for c in fetched} == {int(c["id"]) for c in standin.global_commands.values()}

    standin = run(scenario)
    paths = [(r.method, r.path) for r in standin.requests]
    assert ("GET", "/api/v10/users/@me") in paths
    assert ("GET", "/api/v10/oauth2/applications/@me") in paths
    assert not standin.unknown_requests


def test_ping_replies_with_embed() -> None:
    async def scenario(standin: DiscordStandIn, bot: DemoBot) -> None:
        handle = await standin.send_slash_command("ping")
        cb = await handle.wait_for_response(timeout=2)
        assert cb.type == 4
        assert cb.latency < 1.0
        assert cb.embed is not None and cb.embed["title"] == "Pong!"
        assert cb.embed["fields"] == [{"name": "user", "value": standin.user.username, "inline": True}]

        final = await handle.wait_for_final(timeout=2)
        assert final is handle.original and final.embed["title"] == "Pong!"
        assert final.type == 20 and final.interaction_metadata["name"] == "ping"

        # the same command from a DM works too (user instead of member, no guild)
        dm = await standin.send_slash_command("ping", dm=True)
        assert (await dm.wait_for_response(timeout=2)).embed["title"] == "Pong!"
        assert dm.original.guild_id is None

        # guild-scoped command resolves through data.guild_id
        g = await standin.send_slash_command("guildonly")
        assert (await g.wait_for_response(timeout=2)).content == f"in guild {standin.guild.id}"

    run(scenario)


def test_slow_defers_then_edits_with_png() -> None:
    async def scenario(standin: DiscordStandIn, bot: DemoBot) -> None:
        handle = await standin.send_slash_command("slow")
        cb = await handle.wait_for_response(timeout=2)
        assert cb.type == 5
        assert handle.response_latency is not None and handle.response_latency < 1.0

        final = await handle.wait_for_final(timeout=3)
        assert not final.loading and final.content == "done"
        assert len(final.attachments) == 1
        att = final.attachments[0]
        assert att.filename == "plot.png" and att.data == PNG
        assert att.content_type == "image/png" and att.payload()["width"] == 4
        assert final.embed["image"]["url"] == att.url  # attachment://plot.png resolved like Discord does
        assert final.files == {"plot.png": PNG}
        assert final.sent_payloads[-1]["embeds"][0]["image"]["url"] == "attachment://plot.png"

        # the file is served over HTTP by the stand-in
        async with aiohttp.ClientSession() as session:
            async with session.get(att.url) as resp:
                assert resp.status == 200 and await resp.read() == PNG

        # the PATCH really was multipart (payload_json + files[0])
        patch = [r for r in standin.requests if r.method == "PATCH" and r.path.endswith("/messages/@original")]
        assert patch and patch[0].json["attachments"][0]["filename"] == "plot.png"

    run(scenario)


def test_button_click_is_handled() -> None:
    async def scenario(standin: DiscordStandIn, bot: DemoBot) -> None:
        handle = await standin.send_slash_command("buttons")
        msg = await handle.wait_for_final(timeout=2)
        assert msg.custom_ids == ["standin:click"]

        click = await standin.send_component("standin:click")
        cb = await click.wait_for_response(timeout=2)
        assert cb.type == 7
        assert msg.content == f"clicked by {standin.user.username}"
        assert msg.components == [] and msg.edits == 1

        with pytest.raises(StandInError):
            await standin.send_component("standin:click", msg.id)  # the button is gone now

    run(scenario)


def test_autocomplete_then_command() -> None:
    async def scenario(standin: DiscordStandIn, bot: DemoBot) -> None:
        ac = await standin.send_autocomplete("pick", {"fruit": "ap"}, focused="fruit")
        cb = await ac.wait_for_response(timeout=2)
        assert cb.type == 8
        assert cb.choices == [{"name": "Apple", "value": "apple"}, {"name": "Apricot", "value": "apricot"}]
        assert await ac.wait_for_final(timeout=1) is None

        handle = await standin.send_slash_command("pick", {"fruit": "apricot"})
        assert (await handle.wait_for_response(timeout=2)).content == "you picked apricot"

        with pytest.raises(StandInError):  # the synced schema has no such option
            await standin.send_slash_command("pick", {"colour": "red"})
        with pytest.raises(StandInError):  # required option missing
            await standin.send_slash_command("pick")

    run(scenario)


def test_allowed_mentions_recorded() -> None:
    async def scenario(standin: DiscordStandIn, bot: DemoBot) -> None:
        handle = await standin.send_slash_command("mention")
        cb = await handle.wait_for_response(timeout=2)
        am = cb.allowed_mentions
        assert am is not None
        assert am["parse"] == [] and [str(u) for u in am["users"]] == [str(standin.user.id)]
        msg = handle.original
        assert msg.mentioned_user_ids == [standin.user.id]
        assert msg.mention_everyone is False

    run(scenario)


def test_attachment_option_is_downloadable_by_the_bot() -> None:
    data = b"col_a,col_b\n1,2\n"

    async def scenario(standin: DiscordStandIn, bot: DemoBot) -> None:
        handle = await standin.send_slash_command("inspect", attachments={"file": UploadFile("data.csv", data)})
        cb = await handle.wait_for_response(timeout=2)
        assert bot.reads == [data]
        assert cb.content == f"data.csv {len(data)} {hashlib.sha256(data).hexdigest()[:12]}"
        assert cb.ephemeral and handle.original.ephemeral

    run(scenario)


def test_subcommand_defer_and_followups() -> None:
    async def scenario(standin: DiscordStandIn, bot: DemoBot) -> None:
        handle = await standin.send_slash_command("tutor ask", {"question": "what is a loss?", "detail": 2})
        cb = await handle.wait_for_response(timeout=2)
        assert cb.type == 5 and cb.ephemeral
        await handle.wait_for_followup(count=2, timeout=2)
        # Like Discord: after a type-5 defer the first follow-up replaces the "thinking" message.
        assert handle.followups[0] is handle.original
        assert handle.original.content == "answer to 'what is a loss?' (detail 2)"
        assert handle.original.ephemeral and not handle.original.loading
        assert handle.followups[1].content == "second part" and handle.followups[1].ephemeral
        final = await handle.wait_for_final(timeout=2)
        assert final is handle.original

    run(scenario)


def test_mention_gets_a_reply() -> None:
    async def scenario(standin: DiscordStandIn, bot: DemoBot) -> None:
        sent = await standin.send_message_create("hello there", mentions=[standin.bot_user])
        assert sent.delivered and sent.message.content.startswith(standin.bot_user.mention)
        reply = await sent.wait_for_response(timeout=2)
        assert reply.content == f"hi {standin.user.mention}"
        assert reply.message_reference["message_id"] == str(sent.message.id)
        assert reply.allowed_mentions["replied_user"] is False
        assert reply.mentioned_user_ids == [standin.user.id]  # the mention in content still pings
        assert sent.typing, "the bot should have triggered typing"

        # without a mention the bot stays quiet (and gets no content: no MESSAGE_CONTENT intent)
        quiet = await standin.send_message_create("just chatting")
        with pytest.raises(StandInTimeout):
            await quiet.wait_for_response(timeout=0.3)

    run(scenario)


def test_modal_roundtrip() -> None:
    async def scenario(standin: DiscordStandIn, bot: DemoBot) -> None:
        handle = await standin.send_slash_command("form")
        cb = await handle.wait_for_response(timeout=2)
        assert cb.type == 9 and cb.data["title"] == "Feedback"
        submit = await standin.send_modal_submit(cb.data["custom_id"], {"feedback_text": "great bot"})
        answer = await submit.wait_for_response(timeout=2)
        assert answer.content == "thanks: great bot" and answer.ephemeral

    run(scenario)


def test_reconnect_resumes_and_replays_missed_events() -> None:
    async def scenario(standin: DiscordStandIn, bot: DemoBot) -> None:
        session_id = standin.session.id
        standin.force_reconnect()
        handle = await standin.send_slash_command("ping")  # may land while the bot reconnects
        await standin.wait_for(lambda: standin.resumes, timeout=5, what="RESUME")
        assert standin.resumes[0]["session_id"] == session_id
        assert (await handle.wait_for_response(timeout=5)).type == 4
        assert len(standin.gateway_connects) == 2 and len(standin.identify_payloads) == 1

    run(scenario)


def test_late_and_invalid_responses_are_rejected_like_discord() -> None:
    async def scenario(standin: DiscordStandIn, bot: DemoBot) -> None:
        late = await standin.send_slash_command("late")
        with pytest.raises(StandInTimeout):
            await late.wait_for_response(timeout=0.6)
        assert late.rejected and late.rejected[0].error == "10062 Unknown interaction"
        await standin.wait_for(lambda: bot.errors, timeout=2, what="bot error")
        assert bot.errors == ["404 10062"]

        bot.errors.clear()
        bad = await standin.send_slash_command("bad")
        cb = await bad.wait_for_response(timeout=2)
        assert bot.errors == ["400 50035"] and cb.content == "error 50035"
        assert bad.rejected[0].status == 400

    run(scenario, callback_deadline=0.2)


def test_unknown_routes_are_reported_and_patch_is_restored() -> None:
    original_base = discord.http.Route.BASE
    original_gateway = discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY

    async def scenario(standin: DiscordStandIn, bot: DemoBot) -> None:
        assert discord.http.Route.BASE == standin.api_base
        route = discord.http.Route("GET", "/guilds/{guild_id}/bans", guild_id=standin.guild.id)
        with pytest.raises(discord.NotFound):
            await bot.http.request(route)

    standin = run(scenario, strict=False)
    assert [(r.method, r.path) for r in standin.unknown_requests] == [("GET", f"/api/v10/guilds/{standin.guild.id}/bans")]
    with pytest.raises(StandInError, match="unknown route GET"):
        standin.assert_clean()
    assert discord.http.Route.BASE == original_base
    assert discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY == original_gateway
