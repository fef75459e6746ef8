"""The Discord front end: slash commands over the shared command layer, never blocking.

Every interaction is acknowledged at once (instant commands answer directly; others defer),
work runs off the event loop (threads for retrieval, a process pool for CPU-heavy demos, with
a hard timeout), per-user cooldowns and a per-guild cap keep a busy study session fair, and no
message can ping anyone (``AllowedMentions.none()`` on the client and on every send). What a
command needs here (streaming, a form, an early refusal, a message menu) is read from its spec.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, Literal

import aiohttp
import discord
from discord import app_commands
from discord.ext import tasks

from bot.commands.daily_cmds import DailyMessage, due_daily_messages

from bot.commands.registry import (
    CommandSpec, Option, all_commands, bind, call_handler, free_text_command, require_trusted,
    run_action, visible_commands,
)
from bot.context import DISCORD, MAX_ATTACHMENT_BYTES, Attachment, Caller, ChannelRef
from bot.frontends.discord_errors import NO_MENTIONS, USER_ERRORS, error_message, report, send_error
from bot.frontends.discord_render import error_text, render_reply, strip_mentions
from bot.frontends.discord_threads import answer_forum_post, open_followup_thread, thread_from_button
from bot.frontends.discord_tree import (
    EVERYWHERE_CONTEXTS, EVERYWHERE_INSTALLS, SERVER_CONTEXTS, SERVER_INSTALL_ONLY, SERVER_INSTALLS, build_commands,
)
from bot.frontends.discord_views import DYNAMIC_ITEMS, PagerView, TutorView, reply_view
from bot.llm.streaming import Edit, EditBudget
from bot.reply import Reply
from bot.runtime.housekeeping import prune_daily
from bot.runtime.limits import Cooldowns, GuildGate
from bot.runtime.runner import CommandRunner, ToolTimeout
from bot.runtime.storage import Store
from bot.runtime.tool_limits import limited_tool_runner
from bot.services import Services
from bot.settings import Settings
from tools.errors import UserInputError
from tools.text import clip

log = logging.getLogger(__name__)

SHUTDOWN_GRACE_S = 10.0
DEFER_AFTER_S = 1.5  # a button's reply not ready by then is deferred (Discord allows 3 s to acknowledge)
AUTOCOMPLETE_DEADLINE_S = 2.0  # suggestions later than Discord's 3 s are dropped by Discord anyway
FORM_TEXT_CHARS = 4_000  # Discord's limit for a text input
FORM_LABEL_CHARS = 45


def notes_scope(guild_id: int | None, user_id: int) -> int:
    """The namespace a Discord caller's notes, gaps and leaderboard live in: the server, or for a
    DM a private one of the user's own. ``None`` is the console/CLI's local scope, and local notes
    must never reach a DM."""
    return guild_id if guild_id is not None else -int(user_id)


def installed_here(interaction: discord.Interaction) -> bool:
    """True when the interaction runs in a server that added the bot (a guild install).

    Which notes apply: in such a server, that server's (its notes, gap log, leaderboard, and
    trusted members may change them). Anywhere else (the bot's DMs, a private channel or a server
    where only the user installed the app) the user's private scope, as in a DM: a server's notes
    never reach people outside it, and nobody is trusted there."""
    return interaction.guild_id is not None and interaction.is_guild_integration()


def _loggable(value: Any) -> Any:
    if isinstance(value, discord.Attachment):
        return f"<attachment {value.filename} {value.size} B>"
    return value if not isinstance(value, str) else value[:200]


def message_text(message: discord.Message) -> str:
    """A message's text: its content, or the text of its embeds (the bot's own answers)."""
    return (message.content or "").strip() or "\n\n".join(e.description for e in message.embeds if e.description)


class TutorBot(discord.Client):
    """The bot on one gateway connection; :func:`create_bot` picks :class:`ShardedTutorBot` when
    ``TUTOR_SHARDS`` is set. ``clock``: Unix time for the question of the day (tests move it
    instead of waiting)."""

    def __init__(self, settings: Settings, services: Services | None = None,
                 clock: Callable[[], float] = time.time, owns_services: bool | None = None) -> None:
        """``owns_services`` (default: whether ``services`` was left out): close its databases
        with the bot."""
        # A text bot: no voice, so no "PyNaCl/davey not installed" warnings at every start.
        discord.VoiceClient.warn_nacl = discord.VoiceClient.warn_dave = False
        intents = discord.Intents.default()
        intents.message_content = settings.message_content_intent  # forum posts' text (privileged)
        super().__init__(intents=intents, allowed_mentions=NO_MENTIONS, **self.client_options(settings))
        self.settings = settings
        self._owns_services = services is None if owns_services is None else owns_services
        self.services = services or Services(settings)
        self.tree = app_commands.CommandTree(self, allowed_installs=EVERYWHERE_INSTALLS,
                                             allowed_contexts=EVERYWHERE_CONTEXTS)
        self.tree.on_error = self.on_tree_error  # type: ignore[method-assign]
        self.runner = CommandRunner(self.services, settings.worker_processes or None, settings.tool_timeout_s,
                                    settings.max_queued_heavy, worker_services=Services,
                                    max_wait_s=settings.queue_wait_s, max_jobs=settings.worker_max_jobs)
        self.cooldowns = Cooldowns()
        self.gate = GuildGate(settings.guild_max_heavy)
        self.store = Store(settings.database_path)
        self.services.chat_store = self.store  # the commands' feedback and stats are this bot's records
        self._inflight: set[asyncio.Task[Any]] = set()
        self.conversations = self.services.conversations  # follow-ups in threads (/forget-me clears them)
        self.edit_budget = EditBudget()  # streamed edits: one budget per channel, shared by its streams
        self._housekeeping: asyncio.Task[None] | None = None
        commands = build_commands(visible_commands(), self.dispatch_command, self._autocomplete)
        for cmd in commands.top:
            self.tree.add_command(cmd)
        commands.admin.add_command(_sync_command(self.tree))
        for spec in all_commands().values():
            if spec.message_menu:
                menu = app_commands.ContextMenu(name=spec.message_menu, callback=self._menu(spec))
                if spec.server_only:
                    menu.allowed_contexts, menu.allowed_installs = SERVER_CONTEXTS, SERVER_INSTALLS
                self.tree.add_command(menu)
        self.clock = self.services.clock = clock  # the commands' schedules see the same time
        self.daily_task = tasks.loop(seconds=settings.daily_check_s)(self.post_daily_questions)
        self.daily_task.before_loop(self.wait_until_ready)

    @staticmethod
    def client_options(settings: Settings) -> dict[str, Any]:
        """Extra ``discord.Client`` arguments (the sharded bot adds its shard count)."""
        return {}

    # ----------------------------------------------------------------- lifecycle
    async def setup_hook(self) -> None:
        self.add_dynamic_items(*DYNAMIC_ITEMS)
        self.daily_task.start()  # its first check runs once the bot is ready
        # Everything the first interactions would otherwise make on the loop: the model, index and
        # banks, the LLM client (an SSL context), the threads of the executors.
        await asyncio.to_thread(self.services.warm_up)
        await self.services.open_clients()
        await self.runner.start_threads()
        # The model, index and banks are a few million long-lived objects: a full collection walks
        # them all and holds the GIL for half a second (measured in bench/bot_load.py), the loop
        # with it. Frozen, they are left out of every later collection (CPython's gc.freeze).
        gc.collect()
        gc.freeze()
        self._housekeeping = asyncio.create_task(prune_daily(self.services))
        if self.settings.dev_guild_id:
            guild = discord.Object(id=self.settings.dev_guild_id)
            self.tree.copy_global_to(guild=guild)
            synced = await self.tree.sync(guild=guild)
            log.info("synced %d commands to dev guild %s", len(synced), self.settings.dev_guild_id)

    async def on_ready(self) -> None:
        log.info("logged in as %s (%s) in %d guilds", self.user, getattr(self.user, "id", "?"), len(self.guilds))

    async def close(self) -> None:
        self.daily_task.cancel()
        if self._inflight:
            log.info("waiting up to %.0f s for %d in-flight commands", SHUTDOWN_GRACE_S, len(self._inflight))
            _, pending = await asyncio.wait(set(self._inflight), timeout=SHUTDOWN_GRACE_S)
            for task in pending:
                task.cancel()
        if self._housekeeping is not None:
            self._housekeeping.cancel()
        await asyncio.to_thread(self.runner.shutdown)
        await super().close()
        self.store.close()
        await self.services.aclose(stores=self._owns_services)  # the LLM client; the databases if ours

    # ----------------------------------------------------------------- who is asking
    def caller(self, interaction: discord.Interaction) -> Caller:
        """Who runs a command; trusted = Manage Server permission or the configured trusted role."""
        trusted = False
        installed = installed_here(interaction)
        if installed:
            perms = interaction.permissions
            trusted = bool(perms and (perms.manage_guild or perms.administrator))
            role_id = self.settings.trusted_role_id
            roles = getattr(interaction.user, "roles", None) or ()
            if role_id is not None and any(r.id == role_id for r in roles):
                trusted = True
        return Caller(interaction.user.id, notes_scope(interaction.guild_id if installed else None,
                                                       interaction.user.id),
                      interaction.user.display_name, trusted, DISCORD, interaction.channel_id)

    # ----------------------------------------------------------------- question of the day
    async def post_daily_questions(self) -> int:
        """Post every question of the day that is due (each is claimed in the database first, so
        this is safe to run on any schedule and never posts one twice); returns how many were sent."""
        try:
            due = await asyncio.to_thread(due_daily_messages, self.services, self.clock())
        except Exception:
            log.exception("question of the day: could not check what is due")
            return 0
        sent = 0
        for message in due:
            sent += await self._post_daily(message)
        return sent

    async def _post_daily(self, message: DailyMessage) -> int:
        try:
            channel = self.get_channel(message.channel_id) or await self.fetch_channel(message.channel_id)
            if getattr(getattr(channel, "guild", None), "id", None) != message.guild_id:
                log.warning("question of the day: channel %s is not in guild %s; not posted",
                            message.channel_id, message.guild_id)
                return 0
            rendered = render_reply(message.reply)
            await channel.send(embed=rendered.first, view=reply_view(None, message.reply.actions),  # type: ignore[union-attr]
                               allowed_mentions=NO_MENTIONS)
            return 1
        except discord.HTTPException as err:  # deleted channel, missing permission: that day is lost
            log.warning("question of the day for guild %s not posted: %s", message.guild_id, err)
            return 0

    # ----------------------------------------------------------------- slash commands
    async def dispatch_command(self, interaction: discord.Interaction, spec: CommandSpec, raw: dict[str, Any]) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._inflight.add(task)
        started = time.perf_counter()
        outcome = "ok"
        try:
            await self._run_command(interaction, spec, raw)
        except Exception as err:
            outcome = type(err).__name__ if isinstance(err, USER_ERRORS) else "error"
            await self.send_error(interaction, error_message(
                err, f"/{spec.name}", interaction.user.id, spec.usage(DISCORD),
                {k: _loggable(v) for k, v in raw.items()}))
        finally:
            if task is not None:
                self._inflight.discard(task)
            ms = (time.perf_counter() - started) * 1000
            with contextlib.suppress(Exception):
                await asyncio.to_thread(self.store.log_usage, spec.name, outcome, ms,
                                        None if spec.anonymous_usage else interaction.user.id, interaction.guild_id)

    async def _run_command(self, interaction: discord.Interaction, spec: CommandSpec, raw: dict[str, Any]) -> None:
        self.cooldowns.hit(interaction.user.id, "heavy" if spec.heavy else "light",
                           self.settings.heavy_cooldown_s if spec.heavy else self.settings.cooldown_s)
        if spec.server_only and not installed_here(interaction):
            raise UserInputError(f"/{spec.name_on(DISCORD)} {SERVER_INSTALL_ONLY}")
        caller = self.caller(interaction)
        if spec.trusted_only:  # refused at once (the handler checks too)
            require_trusted(caller, f"use /{spec.name_on(DISCORD)}")
        raw = {k: strip_mentions(v) if spec.option(k).rest_of_line and isinstance(v, str) else channel_ref(v)
               for k, v in raw.items()}
        has_files = any(isinstance(v, discord.Attachment) for v in raw.values())
        if spec.stream is not None:
            kwargs = bind(spec, raw)  # bad options → ephemeral error before anything is posted
            await interaction.response.defer(thinking=True, ephemeral=spec.ephemeral)
            await self._show_edits(interaction, self._edits(spec, kwargs, caller, interaction.channel))
            return
        if spec.form and spec.form not in raw and not has_files:
            bind(spec, raw)  # a bad title or topic fails before the form opens
            await interaction.response.send_modal(FormModal(self, spec, raw, caller))
            return
        if spec.instant and not has_files:
            reply = call_handler(spec, self.services, bind(spec, raw), caller)
            await self.send_reply(interaction, reply, deferred=False)
            return
        with self.gate.slot(interaction.guild_id) if spec.heavy else contextlib.nullcontext():
            if not has_files:
                kwargs = bind(spec, raw)  # bad options → ephemeral error before anything is posted
            await interaction.response.defer(thinking=True, ephemeral=spec.ephemeral)
            if has_files:
                raw = {k: (await self._read_attachment(v, spec.option(k), interaction.filesize_limit)
                           if isinstance(v, discord.Attachment) else v) for k, v in raw.items()}
                kwargs = bind(spec, raw)
            if spec.wants_caller:
                kwargs["caller"] = caller
            reply = await self.runner.run(spec, kwargs)
        await self.send_reply(interaction, reply, deferred=True)

    async def _read_attachment(self, attachment: discord.Attachment, option: Option,
                               upload_limit: int | None) -> Attachment:
        limit = min(option.max_bytes, MAX_ATTACHMENT_BYTES, upload_limit or MAX_ATTACHMENT_BYTES)
        if attachment.size > limit:
            raise UserInputError(
                f"{attachment.filename[:60]} is {attachment.size / 1e6:.1f} MB; the limit is {limit / 1e6:.0f} MB")
        return Attachment(attachment.filename, await attachment.read(), attachment.content_type)

    async def _edits(self, spec: CommandSpec, kwargs: dict[str, Any], caller: Caller, channel: Any) -> AsyncIterator[Edit]:
        """A command's reply as message edits: streamed by its ``stream`` handler (in a thread,
        the thread's earlier turns are the context), else one final edit from the runner."""
        if spec.stream is None:
            reply = await self.runner.run(spec, {**kwargs, "caller": caller} if spec.wants_caller else kwargs)
            yield Edit(reply.text, final=True, reply=reply)
            return
        key = channel.id if isinstance(channel, discord.Thread) else None
        history = self.conversations.history(key) if key is not None else ()
        run_tool = limited_tool_runner(  # the model's demos take the limits of /plot and /demo
            self.runner.run, cooldowns=self.cooldowns, gate=self.gate, user_id=caller.user_id,
            guild_id=getattr(getattr(channel, "guild", None), "id", None),
            heavy_cooldown_s=self.settings.heavy_cooldown_s)
        async for edit in spec.stream(self.services, caller=caller, history=history, run_tool=run_tool,
                                      **kwargs):
            result = edit.result
            if edit.final and key is not None and result is not None and not result.answer.abstained:
                self.conversations.record(key, result.answer.question, result.answer.text, caller.user_id)
            yield edit

    async def _show_edits(self, interaction: discord.Interaction, edits: AsyncIterator[Edit]) -> None:
        """The deferred message is edited as the answer arrives (≤ 1 edit/s in that channel, for
        all the answers streaming there together), then replaced by the final embed with sources
        and buttons; an answer in a server channel offers (or opens) a thread for follow-ups."""
        async for edit in edits:
            await self.edit_budget.wait(interaction.channel_id)
            if edit.final:
                assert edit.reply is not None
                mode = await self._thread_mode(interaction, edit.reply)
                await self.send_reply(interaction, edit.reply, deferred=True, offer_thread=mode == "button")
                if mode == "auto":
                    await self._auto_thread(interaction, edit)
            else:
                await interaction.edit_original_response(content=edit.preview(), allowed_mentions=NO_MENTIONS)

    async def _auto_thread(self, interaction: discord.Interaction, edit: Edit) -> None:
        """The server's auto-thread: a thread on the answer just sent. The answer stands if it
        cannot be opened (no permission): that is logged, not shown as an error."""
        assert edit.reply is not None
        question = edit.result.answer.question if edit.result is not None else edit.reply.title
        try:
            message = await interaction.original_response()
            await open_followup_thread(self, message, question, edit.reply.text)
        except (UserInputError, discord.HTTPException) as err:
            log.warning("no automatic thread in channel %s: %s", interaction.channel_id, err)

    async def _thread_mode(self, interaction: discord.Interaction, reply: Reply) -> str | None:
        """How follow-ups of this answer can go to a thread: ``"auto"`` (the server's setting),
        ``"button"``, or ``None`` (no answer to follow up, a private reply, already in a thread,
        a DM, or a server that did not add the bot)."""
        answered = reply.answer_id and isinstance(reply.data, dict) and not reply.data.get("abstained")
        if not answered or reply.ephemeral or not installed_here(interaction):
            return None
        if not isinstance(interaction.channel, discord.TextChannel):  # threads, forums, voice chats
            return None
        assert interaction.guild_id is not None
        auto = await asyncio.to_thread(self.services.server_settings.auto_thread, interaction.guild_id)
        return "auto" if auto else "button"

    async def open_thread(self, interaction: discord.Interaction, answer_id: str) -> None:
        """The "Follow up in a thread" button (see :class:`bot.frontends.discord_views.ThreadButton`)."""
        try:
            self.cooldowns.hit(interaction.user.id, "action", min(1.0, self.settings.cooldown_s))
            await thread_from_button(self, interaction, answer_id)
        except Exception as err:
            await self.send_error(interaction, error_message(err, f"thread for {answer_id}", interaction.user.id))

    async def run_action(self, interaction: discord.Interaction, command: str, payload: str) -> None:
        """A persistent button was pressed (see :class:`bot.reply.Action`)."""
        try:
            self.cooldowns.hit(interaction.user.id, "action", min(1.0, self.settings.cooldown_s))
            caller = self.caller(interaction)
            work = self.runner.call_light(command, run_action, command, payload, self.services, caller)
            await self._reply_in_time(interaction, work)
        except Exception as err:
            await self.send_error(interaction, error_message(err, f"action {command}:{payload}", interaction.user.id))

    async def _reply_in_time(self, interaction: discord.Interaction, work: Awaitable[Reply]) -> None:
        """Answer a button with ``work``'s reply: directly when it is ready within
        :data:`DEFER_AFTER_S`, else after a "thinking…" defer (Discord fails an interaction not
        acknowledged within 3 s); ``work`` carries its own deadline."""
        task = asyncio.ensure_future(work)
        done, _ = await asyncio.wait({task}, timeout=DEFER_AFTER_S)
        if not done:
            await interaction.response.defer(ephemeral=True, thinking=True)
        await self.send_reply(interaction, await task, deferred=not done)

    def _menu(self, spec: CommandSpec):  # noqa: ANN202 - a ContextMenu callback
        async def callback(interaction: discord.Interaction, message: discord.Message) -> None:
            await self.run_message_menu(interaction, message, spec)

        return callback

    async def run_message_menu(self, interaction: discord.Interaction, message: discord.Message,
                               spec: CommandSpec) -> None:
        """A message menu entry: the command gets the message's text and the text it replies to."""
        caller = self.caller(interaction)
        try:
            if spec.server_only and not installed_here(interaction):
                raise UserInputError(f"{spec.message_menu} {SERVER_INSTALL_ONLY}")
            if spec.trusted_only:
                require_trusted(caller, f"use {spec.message_menu}")
            question = await self._replied_to(message)
            raw = {"message": message_text(message),
                   "replied_to": strip_mentions(question.content) if question is not None else None}
            await interaction.response.defer(ephemeral=True, thinking=True)
            reply = await self.runner.call_light(spec.name, call_handler, spec, self.services, bind(spec, raw), caller)
            await self.send_reply(interaction, reply, deferred=True)
        except Exception as err:
            await self.send_error(interaction, error_message(err, spec.message_menu, interaction.user.id))

    async def _replied_to(self, message: discord.Message) -> discord.Message | None:
        ref = message.reference
        if ref is None or ref.message_id is None:
            return None
        if isinstance(ref.resolved, discord.Message):
            return ref.resolved
        with contextlib.suppress(discord.HTTPException):
            return await message.channel.fetch_message(ref.message_id)
        return None

    def _autocomplete(self, option: Option):  # noqa: ANN202 - an autocomplete callback
        async def suggest(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
            assert option.suggest is not None
            try:  # Discord drops suggestions later than 3 s: none beat a failed interaction
                pairs = await self.runner.call_light(f"suggestions for {option.name}", option.suggest, self.services,
                                                     current, timeout_s=AUTOCOMPLETE_DEADLINE_S)
            except ToolTimeout:
                return []
            return [app_commands.Choice(name=clip(label, 100), value=value) for label, value in pairs]

        return suggest

    # ----------------------------------------------------------------- sending
    async def send_reply(self, interaction: discord.Interaction, reply: Reply, deferred: bool,
                         offer_thread: bool = False) -> None:
        if reply.notice:  # a one-line acknowledgement: plain text
            if deferred:
                await interaction.followup.send(reply.text, ephemeral=reply.ephemeral, allowed_mentions=NO_MENTIONS)
            else:
                await interaction.response.send_message(reply.text, ephemeral=reply.ephemeral,
                                                        allowed_mentions=NO_MENTIONS)
            return
        rendered = render_reply(reply, interaction.filesize_limit)
        view = await self._buttons_for(reply, reply.title, interaction.user.id, interaction.guild_id, offer_thread)
        if len(rendered.pages) > 1 and (view is None or not reply.answer_id):
            view = PagerView(rendered.pages, owner_id=interaction.user.id, actions=reply.actions)
        kwargs: dict[str, Any] = {"embed": rendered.first, "allowed_mentions": NO_MENTIONS}
        if view is not None:
            kwargs["view"] = view
        if deferred:  # content=None clears a streamed preview
            await interaction.edit_original_response(content=None, attachments=rendered.files, **kwargs)
        else:
            await interaction.response.send_message(files=rendered.files, ephemeral=reply.ephemeral, **kwargs)
        if isinstance(view, TutorView):
            view.bind(interaction)  # its timeout edits the message through this interaction

    async def _buttons_for(self, reply: Reply, question: str, user_id: int,
                           guild_id: int | None, offer_thread: bool = False) -> discord.ui.View | None:
        """Persistent buttons for a reply; an answer is saved first so "Show passages" and the
        votes work after a restart."""
        answer_id = None
        if reply.answer_id and isinstance(reply.data, dict) and not reply.data.get("abstained"):
            answer_id = reply.answer_id
            await asyncio.to_thread(
                self.store.save_answer, reply.answer_id, question, reply.text, False,
                [s.as_dict() for s in reply.sources], list(reply.passages), user_id, guild_id)
        return reply_view(answer_id, reply.actions, thread=offer_thread)

    async def send_error(self, interaction: discord.Interaction, message: str) -> None:
        """User-facing errors are ephemeral: drop the public "thinking…" placeholder first."""
        await send_error(interaction, message)

    async def on_tree_error(self, interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
        """Errors discord.py raises before our dispatch (option conversion, checks)."""
        if isinstance(error, app_commands.TransformerError | app_commands.CheckFailure):
            await self.send_error(interaction, str(error))
            return
        what = f"app command {getattr(interaction.command, 'qualified_name', '?')}"
        await self.send_error(interaction, error_message(error, what, interaction.user.id))

    # ----------------------------------------------------------------- mentions
    async def on_message(self, message: discord.Message) -> None:
        """A message that mentions the bot goes to the free-text command (``/ask``), answered in a reply."""
        if message.author.bot or self.user is None or self.user not in message.mentions:
            return
        text = strip_mentions(message.content)
        if not text:
            await message.reply("Ask me a question after the mention, or type `/help`.", mention_author=False,
                                allowed_mentions=NO_MENTIONS)
            return
        try:
            self.cooldowns.hit(message.author.id, "light", self.settings.cooldown_s)
            spec = free_text_command()
            target = next(o for o in spec.options if o.rest_of_line)
            kwargs = bind(spec, {target.name: text})
            guild_id = message.guild.id if message.guild else None
            caller = Caller(message.author.id, notes_scope(guild_id, message.author.id),
                            getattr(message.author, "display_name", ""), False, DISCORD)
            sent: discord.Message | None = None
            async with message.channel.typing():
                async for edit in self._edits(spec, kwargs, caller, message.channel):
                    await self.edit_budget.wait(message.channel.id)
                    if not edit.final:
                        if sent is None:
                            sent = await message.reply(edit.preview(), mention_author=False,
                                                       allowed_mentions=NO_MENTIONS)
                        else:
                            await sent.edit(content=edit.preview(), allowed_mentions=NO_MENTIONS)
                        continue
                    assert edit.reply is not None
                    rendered = render_reply(edit.reply)
                    view = await self._buttons_for(edit.reply, kwargs[target.name], message.author.id, guild_id)
                    if sent is None:
                        await message.reply(embed=rendered.first, files=rendered.files, view=view,
                                            mention_author=False, allowed_mentions=NO_MENTIONS)
                    else:
                        await sent.edit(content=None, embed=rendered.first, attachments=rendered.files, view=view,
                                        allowed_mentions=NO_MENTIONS)
        except Exception as err:
            await message.reply(error_text(error_message(err, "a mention", message.author.id)),
                                mention_author=False, allowed_mentions=NO_MENTIONS)


    # ----------------------------------------------------------------- help forums
    async def on_thread_create(self, thread: discord.Thread) -> None:
        """A new post in a help forum (``/admin forum add``): answered when the bot is confident."""
        if not isinstance(thread.parent, discord.ForumChannel) or self.user is None or thread.owner_id == self.user.id:
            return
        forums = await asyncio.to_thread(self.services.server_settings.forums, thread.guild.id)
        if thread.parent_id not in forums:
            return
        task = asyncio.current_task()
        if task is not None:
            self._inflight.add(task)
        try:
            await answer_forum_post(self, thread)
        finally:
            if task is not None:
                self._inflight.discard(task)


class ShardedTutorBot(TutorBot, discord.AutoShardedClient):
    """The bot over several gateway connections in one process (``TUTOR_SHARDS=auto|N``): the
    same commands and state; discord.py routes each guild's events to its shard."""

    @staticmethod
    def client_options(settings: Settings) -> dict[str, Any]:
        return {"shard_count": settings.shard_count}  # None: ask Discord (GET /gateway/bot)


def create_bot(settings: Settings, services: Services | None = None) -> TutorBot:
    """The bot ``settings`` ask for: one connection, or sharded when ``TUTOR_SHARDS`` is set."""
    cls = ShardedTutorBot if settings.sharded else TutorBot
    return cls(settings, services)


def channel_ref(value: Any) -> Any:
    """A channel option's value as the command layer's :class:`ChannelRef` (others unchanged)."""
    if isinstance(value, app_commands.AppCommandChannel | app_commands.AppCommandThread | discord.abc.GuildChannel
                  | discord.Thread):
        kind = {discord.ChannelType.forum: "forum", discord.ChannelType.text: "text"}.get(value.type, "thread")
        return ChannelRef(value.id, value.name, kind)
    return value


def _form_title(spec: CommandSpec) -> str:
    return clip(spec.summary.split(" (")[0], FORM_LABEL_CHARS)


class FormModal(discord.ui.Modal):
    """A command's ``form`` option typed in a form, when the slash command left it (and any file) out."""

    def __init__(self, bot: TutorBot, spec: CommandSpec, raw: dict[str, Any], caller: Caller) -> None:
        super().__init__(title=_form_title(spec), timeout=900, custom_id=f"tutor:{spec.name.replace(' ', '-')}")
        assert spec.form is not None
        self.bot, self.spec, self.raw, self.caller = bot, spec, raw, caller
        option = spec.option(spec.form)
        self.text: discord.ui.TextInput[Any] = discord.ui.TextInput(
            label=clip(option.description, FORM_LABEL_CHARS), style=discord.TextStyle.paragraph,
            max_length=min(option.max_length or FORM_TEXT_CHARS, FORM_TEXT_CHARS), custom_id=option.name)
        self.add_item(self.text)

    async def on_submit(self, interaction: discord.Interaction) -> None:
        assert self.spec.form is not None
        try:
            kwargs = bind(self.spec, {**self.raw, self.spec.form: self.text.value})
            await interaction.response.defer(ephemeral=True, thinking=True)
            reply = await self.bot.runner.call_light(self.spec.name, call_handler, self.spec, self.bot.services, kwargs,
                                                     self.caller)
            await self.bot.send_reply(interaction, reply, deferred=True)
        except Exception as err:
            await self.bot.send_error(interaction, error_message(err, f"the /{self.spec.name} form", interaction.user.id))

    async def on_error(self, interaction: discord.Interaction, error: Exception, /) -> None:
        """Anything that escapes :meth:`on_submit` (discord.py would only log it)."""
        await report(interaction, error, f"the /{self.spec.name} form")


def _sync_command(tree: app_commands.CommandTree) -> app_commands.Command:
    """``/admin sync``: Discord's own housekeeping, so it is the one command not in the registry."""

    @app_commands.command(name="sync", description="Sync slash commands to this server or globally")
    @app_commands.describe(scope="guild = this server now; global = every server (can take an hour)")
    async def sync(interaction: discord.Interaction, scope: Literal["guild", "global"] = "guild") -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        if scope == "global":
            synced = await tree.sync()
        else:
            guild = discord.Object(id=interaction.guild_id)  # guild_only: never None
            tree.copy_global_to(guild=guild)
            synced = await tree.sync(guild=guild)
        await interaction.followup.send(f"Synced {len(synced)} commands ({scope}).", ephemeral=True)

    return sync


async def _serve(settings: Settings) -> None:
    assert settings.discord_token is not None
    bot = create_bot(settings)
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
