"""The question of the day: ``/admin daily`` sets a server's channel and UTC time (or turns it
off); the Discord front end asks :func:`due_daily_messages` every minute for the questions to
post; the buttons under a posted question run ``action daily`` (an answer: graded, scheduled by
FSRS, counted on the weekly leaderboard, one per student and day) and ``action dailyhint``.
When and which question is :mod:`bot.learning.daily`; how it reads is
:mod:`bot.commands.learning_replies`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.commands.learning_replies import (
    DAILY_COMMAND, DAILY_HINT_COMMAND, TopicInfo, daily_feedback_reply, daily_hint_reply, daily_question_reply,
)
from bot.commands.registry import ACTION_PREFIX, Option, command
from bot.context import Caller
from bot.learning.daily import OFF_WORDS, due_posts, handled_until, parse_time
from bot.learning.store import QuizExpired, store_for
from bot.reply import Reply
from tools.errors import UserInputError

if TYPE_CHECKING:
    from bot.services import Services

_CHANNEL = re.compile(r"<#([0-9]{15,22})>|([0-9]{15,22})")
_DAILY_PAYLOAD = re.compile(r"d:([0-9a-f]{12}):([0-9])")
_DAILY_HINT_PAYLOAD = re.compile(r"dh:([0-9a-f]{12})")


@dataclass(frozen=True)
class DailyMessage:
    """A question of the day to post: where, and the Reply to render there."""

    guild_id: int
    channel_id: int
    reply: Reply


def _topics(services: Services) -> dict[str, TopicInfo]:
    return {a.slug: TopicInfo(a.slug, a.title) for a in services.articles}


def parse_channel(text: str | None, caller: Caller) -> int:
    """``#channel`` (Discord sends ``<#id>``), a channel id, or nothing for the current channel."""
    if text is None or not text.strip():
        if caller.channel_id is None:
            raise UserInputError("channel: give the channel to post in, as #channel")
        return caller.channel_id
    match = _CHANNEL.fullmatch(text.strip())
    if match is None:
        raise UserInputError(f"channel: {text.strip()[:40]!r} is not a channel; pick one with # (e.g. #study-hall) "
                             "or give its id")
    return int(match.group(1) or match.group(2))


@command(
    "daily",
    "Question of the day: post one quiz question a day in a channel, at a UTC time (or turn it off)",
    Option("time", "HH:MM in UTC, e.g. 09:00, or off", required=True, max_length=10),
    Option("channel", "Channel to post in, e.g. #study-hall (default: this channel)", max_length=40),
    example="/daily time:09:00 channel:#study-hall",
    admin=True, wants_caller=True, server_only=True, ephemeral=True,
)
def daily(services: Services, caller: Caller, time: str, channel: str | None = None) -> Reply:  # noqa: A002
    if caller.guild_id is None or caller.guild_id < 0:  # the console, the CLI, a DM (a private scope < 0)
        raise UserInputError("the question of the day is posted in a Discord server channel: run /admin daily "
                             "in your server")
    store = store_for(services)
    if time.strip().lower() in OFF_WORDS:
        had = store.clear_daily(caller.guild_id)
        text = ("Question of the day turned off. Answers already given still count." if had
                else "The question of the day was not on for this server.")
        return Reply(text=text, title="Question of the day", ephemeral=True, data={"daily": None, "was_on": had})
    at = parse_time(time)
    channel_id = parse_channel(channel, caller)
    now = services.clock()
    schedule = store.set_daily(caller.guild_id, channel_id, at, handled_until(at, now), now)
    first = "tomorrow" if schedule.last_date else "today"
    return Reply(text=(f"Question of the day: every day at **{at} UTC** in <#{channel_id}>, the first one {first}. "
                       "Students answer with buttons (privately); right answers count toward `/leaderboard`. "
                       "Change it by running this again; stop it with `/admin daily time:off`."),
                 title="Question of the day", ephemeral=True,
                 data={"daily": {"guild_id": caller.guild_id, "channel_id": channel_id, "time_utc": at,
                                 "first": first}})


def due_daily_messages(services: Services, now: float) -> list[DailyMessage]:
    """The questions of the day due at ``now``, each already claimed: post each one once."""
    topics = _topics(services)
    return [DailyMessage(d.schedule.guild_id, d.schedule.channel_id, daily_question_reply(d.post, topics))
            for d in due_posts(store_for(services), now)]


@command(f"{ACTION_PREFIX}{DAILY_COMMAND}", "Answer the question of the day (button)",
         Option("payload", "d:<post>:<choice>", required=True, max_length=80), hidden=True, wants_caller=True)
def daily_answer(services: Services, caller: Caller, payload: str) -> Reply:
    match = _DAILY_PAYLOAD.fullmatch(payload)
    if match is None:
        raise QuizExpired("that question of the day is no longer available")
    result = store_for(services).record_daily_answer(match.group(1), int(match.group(2)), caller.user_id,
                                                     caller.display_name)
    return daily_feedback_reply(result, _topics(services))


@command(f"{ACTION_PREFIX}{DAILY_HINT_COMMAND}", "A hint for the question of the day (button)",
         Option("payload", "dh:<post>", required=True, max_length=80), hidden=True, wants_caller=True)
def daily_hint(services: Services, caller: Caller, payload: str) -> Reply:
    match = _DAILY_HINT_PAYLOAD.fullmatch(payload)
    if match is None:
        raise QuizExpired("that question of the day is no longer available")
    post, level, answered = store_for(services).daily_hint(match.group(1), caller.user_id, caller.display_name)
    return daily_hint_reply(post, level, answered, _topics(services))
