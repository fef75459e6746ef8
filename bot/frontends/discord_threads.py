"""Threads and help forums on Discord: where follow-ups live, and posts the bot answers by itself.

A thread is one conversation (see :mod:`bot.llm.conversation`): opening one under an answer
(the "Follow up in a thread" button, or every answer when the server turned ``/admin
auto-thread`` on) seeds it with that question and answer, so the first follow-up asked in the
thread (``/ask`` or a mention) is read with it, by the LLM and the extractive answerer alike.

A help forum (``/admin forum add``) gets an answer under each new post when the bot is
confident; otherwise it stays silent and the question goes to the gap log
(:func:`bot.commands.server_cmds.forum_answer`). Discord delivers a new post as THREAD_CREATE
(a thread whose parent is the forum) and then the starter message, whose id is the thread's.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING

import discord

from bot.commands.server_cmds import forum_answer, forum_question
from bot.context import DISCORD, Caller
from bot.frontends.discord_errors import NO_MENTIONS, error_message
from bot.frontends.discord_render import render_reply
from tools.errors import UserInputError
from tools.text import clip

if TYPE_CHECKING:
    from bot.frontends.discord_bot import TutorBot

log = logging.getLogger(__name__)

THREAD_NAME_CHARS = 100
THREAD_ARCHIVE_MIN = 1440  # a day without messages, then Discord archives it
STARTER_WAIT_S = 5.0  # how long a new forum post's starter message may trail its THREAD_CREATE
WELCOME = ("Follow-ups go here: use `/ask` in this thread or mention me, and I'll read your question "
           "together with the ones before it.")


def thread_name(question: str) -> str:
    return clip(" ".join(question.split()), THREAD_NAME_CHARS) or "Follow-up"


async def open_followup_thread(bot: TutorBot, message: discord.Message, question: str,
                               answer: str) -> discord.Thread:
    """A public thread on ``message`` (an answer), seeded with its turn, with a one-line welcome."""
    try:
        thread = await message.create_thread(name=thread_name(question), auto_archive_duration=THREAD_ARCHIVE_MIN)
    except discord.Forbidden:
        raise UserInputError("I can't open threads here: I need the Create Public Threads permission") from None
    except discord.HTTPException as err:
        if err.code == 160004:  # a thread exists already for this message
            existing = message.guild.get_thread(message.id) if message.guild else None
            if existing is not None:
                return existing
        raise
    bot.conversations.record(thread.id, question, answer)
    await thread.send(WELCOME, allowed_mentions=NO_MENTIONS)
    return thread


async def thread_from_button(bot: TutorBot, interaction: discord.Interaction, answer_id: str) -> None:
    """The "Follow up in a thread" button: open (or point to) the thread of this answer."""
    message = interaction.message
    if message is None or interaction.guild_id is None:
        raise UserInputError("threads need a server channel")
    existing = message.guild.get_thread(message.id) if message.guild else None
    if existing is not None:
        await interaction.response.send_message(f"The follow-ups are in {existing.mention}.", ephemeral=True,
                                                allowed_mentions=NO_MENTIONS)
        return
    await interaction.response.defer(ephemeral=True, thinking=True)
    stored = await asyncio.to_thread(bot.store.get_answer, answer_id)
    if stored is None:
        raise UserInputError("that answer is no longer stored; ask again with /ask")
    thread = await open_followup_thread(bot, message, stored.question, stored.answer)
    await interaction.followup.send(f"Thread opened: {thread.mention}. Ask your follow-up there.", ephemeral=True,
                                    allowed_mentions=NO_MENTIONS)


async def starter_message(bot: TutorBot, thread: discord.Thread) -> discord.Message | None:
    """A forum post's first message: from the cache, its MESSAGE_CREATE (it may trail the
    THREAD_CREATE), or the API. ``None`` if it cannot be read (the title still can)."""
    waiter = asyncio.ensure_future(bot.wait_for("message", check=lambda m: m.id == thread.id,
                                                timeout=STARTER_WAIT_S))
    try:
        await asyncio.sleep(0)  # the waiter is listening before the cache is checked
        cached = thread.starter_message
        if cached is not None:
            return cached
        try:
            return await waiter
        except asyncio.TimeoutError:
            with contextlib.suppress(discord.HTTPException):
                return await thread.fetch_message(thread.id)
            return None
    finally:
        waiter.cancel()


async def answer_forum_post(bot: TutorBot, thread: discord.Thread) -> None:
    """Answer a new post in a help forum when confident, under the post; otherwise stay silent."""
    guild = thread.guild
    author_id = thread.owner_id
    try:
        starter = await starter_message(bot, thread)
        body = (starter.content or "") if starter is not None else ""
        author = starter.author if starter is not None else guild.get_member(author_id)
        caller = Caller(author_id, guild.id, getattr(author, "display_name", "") or "", False, DISCORD)
        reply = await bot.runner.call_light("forum answer", forum_answer, bot.services, thread.name, body, caller)
        if reply is None:
            log.info("forum post %s in %s: not confident, staying silent", thread.id, thread.parent_id)
            return
        question = forum_question(thread.name, body)
        rendered = render_reply(reply, guild.filesize_limit)
        view = await bot._buttons_for(reply, question, author_id, guild.id)
        kwargs = {"view": view} if view is not None else {}
        await thread.send(embed=rendered.first, files=rendered.files, allowed_mentions=NO_MENTIONS, **kwargs)
        bot.conversations.record(thread.id, question, reply.text)
    except Exception as err:  # a forum answer is a courtesy: log it, never post an apology there
        error_message(err, f"forum post {thread.id}", author_id)
