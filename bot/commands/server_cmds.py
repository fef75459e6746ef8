"""A server's choices for the bot on Discord (under ``/admin``, trusted members):

* ``forum add|remove|list``: help forums, where the bot answers each new post by itself when it
  is confident, and stays silent when it is not (the question goes to the gap log);
* ``auto-thread``: open a thread under every ``/ask`` answer, so follow-ups stay together.

:func:`forum_answer` is what the front end calls for a new forum post: the post's answer as a
Reply, or ``None`` when the bot should stay silent.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.commands.knowledge_cmds import log_gap
from bot.commands.registry import CommandSpec, Option, register, require_trusted
from bot.context import Caller, ChannelRef
from bot.replies import result_reply
from bot.reply import Reply
from knowledge.query import MAX_QUERY_CHARS, is_small_talk, validate_query
from tools.errors import UserInputError
from tools.text import clip

if TYPE_CHECKING:
    from bot.services import Services

FORUM_QUESTION_CHARS = MAX_QUERY_CHARS  # a post's title and body, read together, are one question


def _in_server(caller: Caller, what: str) -> int:
    if caller.guild_id is None or caller.guild_id < 0:
        raise UserInputError(f"{what} is a server setting: run it in a server that has added the bot")
    return caller.guild_id


def forum_add(services: Services, channel: ChannelRef, caller: Caller) -> Reply:
    require_trusted(caller, "choose help forums")
    guild_id = _in_server(caller, "a help forum")
    if channel.kind != "forum":
        raise UserInputError(f"#{channel.name or channel.id} is not a forum channel; pick a forum")
    try:
        added = services.server_settings.add_forum(guild_id, channel.id)
    except ValueError as err:
        raise UserInputError(str(err)) from None
    name = f"<#{channel.id}>"
    text = (f"I'll answer new posts in {name} when I'm confident, and stay silent otherwise (those questions "
            "go to the gap log)." if added else f"{name} is already a help forum.")
    return Reply(text=text, title="Help forum", notice=True, ephemeral=True,
                 data={"guild_id": guild_id, "channel_id": channel.id, "added": added})


def forum_remove(services: Services, channel: ChannelRef, caller: Caller) -> Reply:
    require_trusted(caller, "choose help forums")
    guild_id = _in_server(caller, "a help forum")
    removed = services.server_settings.remove_forum(guild_id, channel.id)
    text = (f"I no longer answer new posts in <#{channel.id}>." if removed
            else f"<#{channel.id}> was not a help forum; `/admin forum list` shows them.")
    return Reply(text=text, title="Help forum", notice=True, ephemeral=True,
                 data={"guild_id": guild_id, "channel_id": channel.id, "removed": removed})


def forum_list(services: Services, caller: Caller) -> Reply:
    require_trusted(caller, "see the help forums")
    guild_id = _in_server(caller, "a help forum")
    forums = sorted(services.server_settings.forums(guild_id))
    lines = [f"<#{c}>" for c in forums] or ["No help forums yet: `/admin forum add channel:#forum`."]
    return Reply(text="\n".join(lines), title=f"Help forums ({len(forums)})", ephemeral=True,
                 data={"guild_id": guild_id, "forums": forums})


def auto_thread(services: Services, enabled: bool, caller: Caller) -> Reply:
    require_trusted(caller, "change where follow-ups go")
    guild_id = _in_server(caller, "auto-thread")
    services.server_settings.set_auto_thread(guild_id, enabled)
    text = ("Every /ask answer in a channel now opens a thread for its follow-ups." if enabled else
            "/ask answers no longer open a thread by themselves; each has a \"Follow up in a thread\" button.")
    return Reply(text=text, title="Auto-thread", notice=True, ephemeral=True,
                 data={"guild_id": guild_id, "auto_thread": enabled})


def forum_question(title: str, body: str) -> str:
    """A forum post as one question: the title, then the body (either may be empty)."""
    title, body = " ".join((title or "").split()), " ".join((body or "").split())
    text = f"{title}. {body}" if title and body and title.lower() not in body.lower() else body or title
    return clip(text, FORUM_QUESTION_CHARS)


def forum_answer(services: Services, title: str, body: str, caller: Caller) -> Reply | None:
    """The answer to a new forum post, or ``None`` to stay silent: small talk, input that is no
    question, and every abstention (which goes to the gap log, like an unanswered /ask)."""
    try:
        question = validate_query(forum_question(title, body))
    except UserInputError:
        return None
    if is_small_talk(question):
        return None
    result = services.answer_backend.answer(question, guild_id=caller.guild_id)
    if result.abstained:
        log_gap(services, caller.guild_id, question, result.answer.best_score)
        return None
    return result_reply(result)


FORUM = Option("channel", "The forum channel", type=ChannelRef, required=True, channel_kind="forum")
register(CommandSpec(
    "forum add", "Answer new posts in a forum when confident (admins)", forum_add, (FORUM,),
    example="/forum add channel:#help", wants_caller=True, ephemeral=True, trusted_only=True, admin=True,
    server_only=True))
register(CommandSpec(
    "forum remove", "Stop answering new posts in a forum (admins)", forum_remove, (FORUM,),
    example="/forum remove channel:#help", wants_caller=True, ephemeral=True, trusted_only=True, admin=True,
    server_only=True))
register(CommandSpec(
    "forum list", "The forums where the bot answers new posts (admins)", forum_list, (),
    example="/forum list", wants_caller=True, ephemeral=True, trusted_only=True, admin=True, server_only=True))
register(CommandSpec(
    "auto-thread", "Open a thread under every /ask answer for its follow-ups (admins)", auto_thread,
    (Option("enabled", "true: open a thread under each answer; false: offer a button", type=bool,
            required=True),),
    example="/auto-thread enabled:true", wants_caller=True, ephemeral=True, trusted_only=True, admin=True,
    server_only=True))
