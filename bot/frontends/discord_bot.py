"""The Discord front end: slash commands over the shared command layer, never blocking.

Every interaction is acknowledged at once (instant commands answer directly; others defer),
work runs off the event loop (threads for retrieval, a process pool for CPU-heavy demos, with
a hard timeout), per-user cooldowns and a per-guild cap keep a busy study session fair, and no
message can ping anyone (``AllowedMentions.none()`` on the client and on every send).
"""

from __future__ import annotations

import asyncio
import sys
import contextlib
import logging
import re
import signal
import time
import uuid
from typing import Any, Literal

import aiohttp
import discord
from discord import app_commands

from bot.commands.registry import (
    ACTION_PREFIX, MAX_ATTACHMENT_BYTES, Attachment, Caller, CommandSpec, bind, call_handler, resolve, run_action,
    visible_commands,
)
from bot.frontends.discord_render import error_text, render_reply
from bot.frontends.discord_tree import build_commands
from bot.frontends.discord_views import DYNAMIC_ITEMS, NO_MENTIONS, PagerView, reply_view
from bot.reply import Reply
from bot.runtime.limits import Cooldowns, GuildGate, RateLimited
from bot.runtime.runner import CommandRunner, QueueFull, ToolTimeout
from bot.runtime.storage import Store
from bot.services import Services
from bot.settings import Settings
from bot.llm.conversation import ConversationStore
from bot.llm.streaming import throttle_edits
from knowledge.query import is_small_talk
from knowledge.topics import suggest_topics
from bot.commands.knowledge_cmds import log_gap
from tools.errors import NotAllowed, UserInputError

log = logging.getLogger(__name__)

SHUTDOWN_GRACE_S = 10.0
MENTION_RE = re.compile(r"<@!?\d+>")
SAVE_AS_ANSWER = "Save as answer"
TRUSTED_ONLY = frozenset({"kb add", "kb remove", "kb export", "gaps", "gaps resolve"})


class TutorBot(discord.Client):
    def __init__(self, settings: Settings, services: Services | None = None) -> None:
        # A text bot: no voice, so no "PyNaCl/davey not installed" warnings at every start.
        discord.VoiceClient.warn_nacl = discord.VoiceClient.warn_dave = False
        intents = discord.Intents.default()
        super().__init__(intents=intents, allowed_mentions=NO_MENTIONS)
        self.settings = settings
        self.services = services or Services(settings)
        self.tree = app_commands.CommandTree(self)
        self.tree.on_error = self.on_tree_error  # type: ignore[method-assign]
        self.runner = CommandRunner(self.services, settings.worker_processes or None,
                                    settings.tool_timeout_s, settings.max_queued_heavy)
        self.cooldowns = Cooldowns()
        self.gate = GuildGate(settings.guild_max_heavy)
        self.store = Store(settings.database_path)
        self._inflight: set[asyncio.Task[Any]] = set()
        self.conversations = ConversationStore.from_settings(settings)  # follow-ups in threads
        specs = [s for s in visible_commands()
                 if not s.name.startswith(ACTION_PREFIX) and s.extra.get("discord") != "admin"]
        top, by_name = build_commands(specs, self.dispatch_command)
        for cmd in top:
            self.tree.add_command(cmd)
        explain = by_name.get("explain")
        if explain is not None:
            explain.autocomplete("topic")(self.autocomplete_topic)
        self.tree.add_command(AdminGroup(self))
        self.tree.add_command(app_commands.ContextMenu(name=SAVE_AS_ANSWER, callback=self.save_as_answer))

    # ----------------------------------------------------------------- lifecycle
    async def setup_hook(self) -> None:
        self.add_dynamic_items(*DYNAMIC_ITEMS)
        await asyncio.to_thread(self.services.warm_up)  # model + index loaded before the first question
        self.runner.warm_pool()
        if self.settings.dev_guild_id:
            guild = discord.Object(id=self.settings.dev_guild_id)
            self.tree.copy_global_to(guild=guild)
            synced = await self.tree.sync(guild=guild)
            log.info("synced %d commands to dev guild %s", len(synced), self.settings.dev_guild_id)

    async def on_ready(self) -> None:
        log.info("logged in as %s (%s) in %d guilds", self.user, getattr(self.user, "id", "?"), len(self.guilds))

    async def close(self) -> None:
        if self._inflight:
            log.info("waiting up to %.0f s for %d in-flight commands", SHUTDOWN_GRACE_S, len(self._inflight))
            _, pending = await asyncio.wait(set(self._inflight), timeout=SHUTDOWN_GRACE_S)
            for task in pending:
                task.cancel()
        self.runner.shutdown()
        await super().close()
        self.store.close()

    # ----------------------------------------------------------------- commands
    def _cooldown(self, spec: CommandSpec) -> float:
        return self.settings.heavy_cooldown_s if spec.heavy else self.settings.cooldown_s

    async def _read_attachment(self, attachment: discord.Attachment, limit: int) -> Attachment:
        if attachment.size > limit:
            raise UserInputError(
                f"{attachment.filename[:60]} is {attachment.size / 1e6:.1f} MB; the limit is {limit / 1e6:.0f} MB")
        data = await attachment.read()
        return Attachment(attachment.filename, data, attachment.content_type)

    async def dispatch_command(self, interaction: discord.Interaction, spec: CommandSpec, raw: dict[str, Any]) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._inflight.add(task)
        started = time.perf_counter()
        outcome = "ok"
        try:
            await self._run_command(interaction, spec, raw)
        except (UserInputError, RateLimited, QueueFull, ToolTimeout) as err:
            outcome = type(err).__name__
            hint = f"\nUsage: `{spec.usage()}`" if isinstance(err, UserInputError) and not isinstance(
                err, NotAllowed) else ""
            await self.send_error(interaction, f"{err}{hint}")
        except Exception:
            outcome = "error"
            error_id = uuid.uuid4().hex[:8]
            log.exception("error id %s in /%s by user %s in guild %s with options %r", error_id, spec.name,
                          interaction.user.id, interaction.guild_id, {k: _loggable(v) for k, v in raw.items()})
            await self.send_error(interaction, f"Sorry, something went wrong on our side (error id `{error_id}`).")
        finally:
            if task is not None:
                self._inflight.discard(task)
            ms = (time.perf_counter() - started) * 1000
            with contextlib.suppress(Exception):
                await asyncio.to_thread(self.store.log_usage, spec.name, outcome, ms,
                                        interaction.user.id, interaction.guild_id)

    async def _run_command(self, interaction: discord.Interaction, spec: CommandSpec, raw: dict[str, Any]) -> None:
        self.cooldowns.hit(interaction.user.id, "heavy" if spec.heavy else "light", self._cooldown(spec))
        has_files = any(isinstance(v, discord.Attachment) for v in raw.values())
        caller = self.caller(interaction)
        if spec.name == "ask" and not is_small_talk(str(raw.get("question", ""))):
            question = bind(spec, raw)["question"]
            await interaction.response.defer(thinking=True)
            await self._stream_answer(interaction, question)
            return
        if spec.name in TRUSTED_ONLY and not caller.is_trusted:  # refused at once (the handler checks too)
            raise NotAllowed(f"only server admins (Manage Server) or the trusted role can use /{spec.name}")
        if spec.name == "kb add" and "text" not in raw and "file" not in raw:
            bind(spec, raw)  # a bad title or topic fails before the form opens
            await interaction.response.send_modal(NoteModal(self, spec, raw, caller))
            return
        if spec.instant and not has_files:
            reply = call_handler(spec, self.services, bind(spec, raw), caller)
            await self.send_reply(interaction, reply, deferred=False)
            return
        with self.gate.slot(interaction.guild_id) if spec.heavy else contextlib.nullcontext():
            if not has_files:
                kwargs = bind(spec, raw)  # bad options → ephemeral error before anything is posted
            await interaction.response.defer(thinking=True, ephemeral=bool(spec.extra.get("ephemeral")))
            if has_files:
                limit = min(MAX_ATTACHMENT_BYTES, interaction.filesize_limit or MAX_ATTACHMENT_BYTES)
                raw = {k: (await self._read_attachment(v, limit) if isinstance(v, discord.Attachment) else v)
                       for k, v in raw.items()}
                kwargs = bind(spec, raw)
            if spec.wants_caller:
                kwargs["caller"] = caller
            reply = await self.runner.run(spec, kwargs)
        await self.send_reply(interaction, reply, deferred=True)

    async def _run_tool(self, spec: CommandSpec, kwargs: dict[str, Any]) -> Reply:
        """A demo the LLM asked for: same pool, timeout and per-guild cap as a slash command."""
        return await self.runner.run(spec, kwargs)

    async def _answer_events(self, question: str, channel: Any, guild_id: int | None = None):
        """The answer as a stream of edits; in a thread, earlier turns are the context. The
        guild's server notes are evidence too; an abstained answer goes to the gap log."""
        key = channel.id if isinstance(channel, discord.Thread) else None
        history = self.conversations.history(key) if key is not None else ()
        backend = await asyncio.to_thread(lambda: self.services.answer_backend)
        extra: dict[str, Any] = {"guild_id": guild_id} if guild_id is not None else {}
        async for edit in throttle_edits(backend.stream_answer(question, history, run_tool=self._run_tool, **extra)):
            if edit.final and key is not None and edit.result is not None and not edit.result.answer.abstained:
                self.conversations.record(key, question, edit.result.answer.text)
            if edit.final and edit.result is not None and edit.result.answer.abstained:
                await asyncio.to_thread(log_gap, self.services, guild_id, question, edit.result.answer.best_score)
            yield edit

    async def _stream_answer(self, interaction: discord.Interaction, question: str) -> None:
        """/ask: the message is edited as the answer arrives (≤ 1 edit/s), then replaced by the
        final embed with sources and buttons. Extractive answers arrive in one final edit."""
        async for edit in self._answer_events(question, interaction.channel,
                                              notes_scope(interaction.guild_id, interaction.user.id)):
            if edit.final:
                assert edit.reply is not None
                await self.send_reply(interaction, edit.reply, deferred=True)
            else:
                await interaction.edit_original_response(content=edit.preview(), allowed_mentions=NO_MENTIONS)

    async def run_action(self, interaction: discord.Interaction, command: str, payload: str) -> None:
        """A persistent action button was pressed (see :class:`bot.reply.Action`)."""
        try:
            self.cooldowns.hit(interaction.user.id, "action", min(1.0, self.settings.cooldown_s))
            reply = await asyncio.to_thread(run_action, command, payload, self.services, self.caller(interaction))
            await self.send_reply(interaction, reply, deferred=False)
        except (UserInputError, RateLimited) as err:
            await self.send_error(interaction, str(err))
        except Exception:
            error_id = uuid.uuid4().hex[:8]
            log.exception("error id %s in action %s:%s by user %s", error_id, command, payload, interaction.user.id)
            await self.send_error(interaction, f"Sorry, something went wrong on our side (error id `{error_id}`).")

    async def send_reply(self, interaction: discord.Interaction, reply: Reply, deferred: bool) -> None:
        rendered = render_reply(reply, interaction.filesize_limit)
        view = await self._buttons_for(reply, reply.title, interaction.user.id, interaction.guild_id)
        if view is None and len(rendered.pages) > 1:
            view = PagerView(rendered.pages)
        kwargs: dict[str, Any] = {"embed": rendered.first, "allowed_mentions": NO_MENTIONS}
        if view is not None:
            kwargs["view"] = view
        if deferred:  # content=None clears a streamed preview
            await interaction.edit_original_response(content=None, attachments=rendered.files, **kwargs)
        else:
            await interaction.response.send_message(files=rendered.files, ephemeral=reply.ephemeral, **kwargs)

    async def _buttons_for(self, reply: Reply, question: str, user_id: int,
                           guild_id: int | None) -> discord.ui.View | None:
        """Persistent buttons for a reply; an answer is saved first so "Show passages" and the
        votes work after a restart."""
        answer_id = None
        if reply.answer_id and isinstance(reply.data, dict) and not reply.data.get("abstained"):
            answer_id = reply.answer_id
            await asyncio.to_thread(
                self.store.save_answer, reply.answer_id, question, reply.text, False,
                [s.as_dict() for s in reply.sources], list(reply.passages), user_id, guild_id)
        return reply_view(answer_id, reply.actions)

    async def send_error(self, interaction: discord.Interaction, message: str) -> None:
        """User-facing errors are ephemeral: drop the public "thinking…" placeholder first."""
        text = error_text(message)
        try:
            if interaction.response.is_done():
                with contextlib.suppress(discord.HTTPException):
                    await interaction.delete_original_response()
                await interaction.followup.send(text, ephemeral=True, allowed_mentions=NO_MENTIONS)
            else:
                await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NO_MENTIONS)
        except discord.HTTPException:
            log.warning("could not deliver an error message to user %s", interaction.user.id)

    async def on_tree_error(self, interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
        """Errors discord.py raises before our dispatch (option conversion, checks)."""
        if isinstance(error, app_commands.TransformerError | app_commands.CheckFailure):
            await self.send_error(interaction, str(error))
            return
        error_id = uuid.uuid4().hex[:8]
        log.error("error id %s in app command %s", error_id, getattr(interaction.command, "qualified_name", "?"),
                  exc_info=error)
        await self.send_error(interaction, f"Sorry, something went wrong on our side (error id `{error_id}`).")

    async def autocomplete_topic(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=a.title[:100], value=a.slug)
                for a in suggest_topics(self.services.articles, current)]

    # ----------------------------------------------------------------- server notes, gap log
    def caller(self, interaction: discord.Interaction) -> Caller:
        """Who runs a command; trusted = Manage Server permission or the configured trusted role."""
        trusted = False
        if interaction.guild_id is not None:
            perms = interaction.permissions
            trusted = bool(perms and (perms.manage_guild or perms.administrator))
            role_id = self.settings.trusted_role_id
            roles = getattr(interaction.user, "roles", None) or ()
            if role_id is not None and any(r.id == role_id for r in roles):
                trusted = True
        return Caller(interaction.user.id, notes_scope(interaction.guild_id, interaction.user.id),
                      interaction.user.display_name, trusted)

    async def log_downvote(self, answer_id: str, guild_id: int | None) -> None:
        """A 👎 on an answer: its question goes to the gap log (once per answer)."""
        stored = await asyncio.to_thread(self.store.get_answer, answer_id)
        if stored is None:
            return

        def record() -> None:
            best = self.services.kb.search(stored.question, k=1, guild_id=guild_id).best_dense
            log_gap(self.services, guild_id, stored.question, best, "downvote", answer_id)

        await asyncio.to_thread(record)

    async def save_as_answer(self, interaction: discord.Interaction, message: discord.Message) -> None:
        """Message menu "Save as answer" (trusted only): on a reply to a question, store the
        question and this answer as a server note and resolve the gap groups it answers."""
        caller = self.caller(interaction)
        try:
            if interaction.guild_id is None:
                raise UserInputError("server notes belong to a server; use this in a server channel")
            if not caller.is_trusted:
                raise NotAllowed("only server admins (Manage Server) or the trusted role can save answers")
            question_message = await self._replied_to(message)
            if question_message is None:
                raise UserInputError("use Save as answer on a reply to a question (the reply is the answer)")
            question = " ".join(MENTION_RE.sub(" ", question_message.content or "").split())
            answer = (message.content or "").strip() or "\n\n".join(
                e.description for e in message.embeds if e.description)
            if not question or not answer.strip():
                raise UserInputError("I couldn't read the question or the answer text of those messages")
            await interaction.response.defer(ephemeral=True, thinking=True)
            title = question if len(question) <= 100 else question[:99].rstrip() + "…"
            text = f"Q: {question}\n\nA: {answer.strip()}"

            def save() -> tuple[Any, list[Any]]:
                from bot.commands.notes_cmds import save_note

                note = save_note(self.services, caller, title, text, None, "the answer")
                resolved = self.services.gaps.resolve_matching(interaction.guild_id, question, note.id)
                return note, resolved

            note, resolved = await asyncio.to_thread(save)
            done = f" and resolved {sum(g.count for g in resolved)} logged question(s)" if resolved else ""
            await interaction.followup.send(
                f"Saved as server note #{note.id} “{note.title}”{done}. `/ask` cites it from now on.",
                ephemeral=True, allowed_mentions=NO_MENTIONS)
        except (UserInputError, RateLimited) as err:
            await self.send_error(interaction, str(err))
        except Exception:
            error_id = uuid.uuid4().hex[:8]
            log.exception("error id %s in Save as answer by user %s", error_id, interaction.user.id)
            await self.send_error(interaction, f"Sorry, something went wrong on our side (error id `{error_id}`).")

    async def _replied_to(self, message: discord.Message) -> discord.Message | None:
        ref = message.reference
        if ref is None or ref.message_id is None:
            return None
        if isinstance(ref.resolved, discord.Message):
            return ref.resolved
        with contextlib.suppress(discord.HTTPException):
            return await message.channel.fetch_message(ref.message_id)
        return None

    # ----------------------------------------------------------------- mentions
    async def on_message(self, message: discord.Message) -> None:
        if message.author.bot or self.user is None or self.user not in message.mentions:
            return
        question = " ".join(MENTION_RE.sub(" ", message.content).split())
        if not question:
            await message.reply("Ask me a question after the mention, or type `/help`.", mention_author=False,
                                allowed_mentions=NO_MENTIONS)
            return
        try:
            self.cooldowns.hit(message.author.id, "light", self.settings.cooldown_s)
            question = bind(resolve("ask"), {"question": question})["question"]
            if is_small_talk(question):
                await message.reply("Hi! Ask me a concept question after the mention, or type `/help`.",
                                    mention_author=False, allowed_mentions=NO_MENTIONS)
                return
            sent: discord.Message | None = None
            async with message.channel.typing():
                scope = notes_scope(message.guild.id if message.guild else None, message.author.id)
                async for edit in self._answer_events(question, message.channel, scope):
                    if not edit.final:
                        if sent is None:
                            sent = await message.reply(edit.preview(), mention_author=False,
                                                       allowed_mentions=NO_MENTIONS)
                        else:
                            await sent.edit(content=edit.preview(), allowed_mentions=NO_MENTIONS)
                        continue
                    reply = edit.reply
                    assert reply is not None
                    rendered = render_reply(reply)
                    view = await self._buttons_for(reply, question, message.author.id,
                                                   message.guild.id if message.guild else None)
                    files = rendered.files
                    if sent is None:
                        await message.reply(embed=rendered.first, files=files, view=view, mention_author=False,
                                            allowed_mentions=NO_MENTIONS)
                    else:
                        await sent.edit(content=None, embed=rendered.first, attachments=files, view=view,
                                        allowed_mentions=NO_MENTIONS)
        except (UserInputError, RateLimited) as err:
            await message.reply(error_text(str(err)), mention_author=False, allowed_mentions=NO_MENTIONS)
        except Exception:
            error_id = uuid.uuid4().hex[:8]
            log.exception("error id %s answering a mention from user %s", error_id, message.author.id)
            await message.reply(error_text(f"Sorry, something went wrong (error id `{error_id}`)."),
                                mention_author=False, allowed_mentions=NO_MENTIONS)


def notes_scope(guild_id: int | None, user_id: int) -> int:
    """The namespace a Discord caller's notes, gaps and leaderboard live in: the server, or for a
    DM a private one of the user's own. ``None`` is the console/CLI's local scope, and local notes
    must never reach a DM."""
    return guild_id if guild_id is not None else -int(user_id)


def _loggable(value: Any) -> Any:
    if isinstance(value, discord.Attachment):
        return f"<attachment {value.filename} {value.size} B>"
    return value if not isinstance(value, str) else value[:200]


class NoteModal(discord.ui.Modal):
    """``/kb add`` with neither text nor file: a form to type or paste the note."""

    def __init__(self, bot: TutorBot, spec: CommandSpec, raw: dict[str, Any], caller: Caller) -> None:
        super().__init__(title="Add a server note", timeout=900, custom_id="tutor:kb-add")
        self.bot, self.spec, self.raw, self.caller = bot, spec, raw, caller
        self.text: discord.ui.TextInput[Any] = discord.ui.TextInput(
            label="Note (Markdown or plain text)", style=discord.TextStyle.paragraph, max_length=4000,
            custom_id="text", placeholder="The answer students should get, in your words")
        self.add_item(self.text)

    async def on_submit(self, interaction: discord.Interaction) -> None:
        try:
            kwargs = bind(self.spec, {**self.raw, "text": self.text.value})
            await interaction.response.defer(ephemeral=True, thinking=True)
            reply = await asyncio.to_thread(call_handler, self.spec, self.bot.services, kwargs, self.caller)
            await self.bot.send_reply(interaction, reply, deferred=True)
        except UserInputError as err:
            await self.bot.send_error(interaction, str(err))
        except Exception:
            error_id = uuid.uuid4().hex[:8]
            log.exception("error id %s in the /kb add form by user %s", error_id, interaction.user.id)
            await self.bot.send_error(interaction, f"Sorry, something went wrong on our side (error id `{error_id}`).")


class AdminGroup(app_commands.Group):
    """Server-admin commands: hidden from members without Manage Server, and checked again here."""

    def __init__(self, bot: TutorBot) -> None:
        super().__init__(name="admin", description="Bot administration (Manage Server permission)",
                         default_permissions=discord.Permissions(manage_guild=True), guild_only=True)
        self.bot = bot

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        if not interaction.permissions.manage_guild:
            raise app_commands.CheckFailure("this command needs the Manage Server permission")
        return True

    @app_commands.command(name="sync", description="Sync slash commands to this server or globally")
    @app_commands.describe(scope="guild = this server now; global = every server (can take an hour)")
    async def sync(self, interaction: discord.Interaction, scope: Literal["guild", "global"] = "guild") -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        if scope == "global":
            synced = await self.bot.tree.sync()
        else:
            guild = discord.Object(id=interaction.guild_id)  # guild_only: never None
            self.bot.tree.copy_global_to(guild=guild)
            synced = await self.bot.tree.sync(guild=guild)
        await interaction.followup.send(f"Synced {len(synced)} commands ({scope}).", ephemeral=True)

    @app_commands.command(name="gaps", description="Questions the bot could not answer, grouped by meaning")
    @app_commands.describe(limit="How many groups (1-25)")
    async def gaps(self, interaction: discord.Interaction, limit: app_commands.Range[int, 1, 25] = 10) -> None:
        await self.bot.dispatch_command(interaction, resolve("gaps"), {"limit": limit})

    @app_commands.command(name="gaps-resolve", description="Mark a group of unanswered questions resolved")
    @app_commands.describe(group="The group's number, from /admin gaps")
    async def gaps_resolve(self, interaction: discord.Interaction, group: app_commands.Range[int, 1]) -> None:
        await self.bot.dispatch_command(interaction, resolve("gaps resolve"), {"group": group})

    @app_commands.command(name="stats", description="Usage and feedback over the last 7 days")
    async def stats(self, interaction: discord.Interaction) -> None:
        data = await asyncio.to_thread(self.bot.store.stats)
        lines = [f"Users: {data['users']} · 👍 {data['votes_up']} · 👎 {data['votes_down']}",
                 f"Heavy demos running now: {self.bot.runner.queued}", ""]
        for row in data["commands"][:15]:
            lines.append(f"`/{row['command']}` — {row['count']} uses, avg {row['avg_ms']:.0f} ms, "
                         f"{row['errors']} errors")
        embed = discord.Embed(title="Tutor bot stats (7 days)", description="\n".join(lines)[:4000])
        await interaction.response.send_message(embed=embed, ephemeral=True, allowed_mentions=NO_MENTIONS)


async def _serve(settings: Settings) -> None:
    assert settings.discord_token is not None
    bot = TutorBot(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    async with bot:
        runner = asyncio.create_task(bot.start(settings.discord_token.get_secret_value()))
        stopper = asyncio.create_task(stop.wait())
        done, _ = await asyncio.wait({runner, stopper}, return_when=asyncio.FIRST_COMPLETED)
        if runner in done:
            stopper.cancel()
            runner.result()  # re-raise a login failure
            return
        log.info("shutting down")
        await bot.close()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await runner


def run_bot(settings: Settings) -> None:
    """Run until SIGINT/SIGTERM; in-flight commands get a grace period, then the pool and DB close."""
    logging.getLogger().setLevel(logging.INFO)
    try:
        asyncio.run(_serve(settings))
    except discord.LoginFailure:
        raise UserInputError("Discord rejected the token: check DISCORD_TOKEN in your environment or .env") from None
    except (aiohttp.ClientError, OSError) as err:
        log.debug("cannot reach Discord", exc_info=True)
        print(f"error: cannot reach Discord ({' '.join(str(err).split())[:160]}); check the network and retry",
              file=sys.stderr)
        raise SystemExit(1) from None
