"""The question of the day: when a server's daily question is due, and which question it is.

A server sets a channel and a UTC time (``HH:MM``). Each UTC day the slot is *due* from its time
for :data:`GRACE_S`; a bot that was down past that window *skips* the day instead of posting
late. Either way the day is claimed in the database before anything is sent
(:meth:`LearningStore.claim_daily`), so a restart, or a second process, never posts twice. The
question rotates through the study order and never repeats in a server until the bank runs out.
"""

from __future__ import annotations

import random
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from bot.learning.store import DailyPost, DailySchedule, LearningStore
from knowledge.quiz_bank import QuestionSpec, instantiate, load_bank
from knowledge.topics import ROADMAP
from tools.errors import UserInputError

GRACE_S = 30 * 60.0
"""How late a day's question may still go out (a slow start, a reconnect); later is a skip."""

WAIT, POST, SKIP = "wait", "post", "skip"
_TIME = re.compile(r"([01]?[0-9]|2[0-3]):([0-5][0-9])")
OFF_WORDS = {"off", "none", "stop", "disable"}


def parse_time(text: str) -> str:
    """'9:30' → '09:30'; anything else is a one-line error naming the accepted form."""
    match = _TIME.fullmatch((text or "").strip())
    if match is None:
        raise UserInputError(f"time: {str(text)[:20]!r} is not a time; expected HH:MM in UTC (e.g. 09:00), or off")
    return f"{int(match.group(1)):02d}:{match.group(2)}"


def utc_day(now: float) -> str:
    return datetime.fromtimestamp(now, tz=timezone.utc).date().isoformat()


def slot(day: str, time_utc: str) -> float:
    """The Unix time of ``time_utc`` on the UTC date ``day``."""
    hours, minutes = (int(x) for x in time_utc.split(":"))
    start = datetime.fromisoformat(day).replace(tzinfo=timezone.utc)
    return (start + timedelta(hours=hours, minutes=minutes)).timestamp()


def handled_until(time_utc: str, now: float) -> str | None:
    """For a schedule set at ``now``: today counts as handled if its slot has already passed
    (the first question then comes tomorrow), else nothing is handled yet."""
    today = utc_day(now)
    return today if now >= slot(today, time_utc) else None


def decide(schedule: DailySchedule, now: float) -> str:
    """WAIT (not yet, or today done), POST (in the window) or SKIP (the window passed unposted)."""
    today = utc_day(now)
    if schedule.last_date is not None and schedule.last_date >= today:
        return WAIT
    start = slot(today, schedule.time_utc)
    if now < start:
        return WAIT
    return POST if now <= start + GRACE_S else SKIP


@dataclass(frozen=True)
class DueDaily:
    schedule: DailySchedule
    post: DailyPost


def _order(bank: dict[str, tuple[QuestionSpec, ...]]) -> list[str]:
    return [t for t in ROADMAP if t in bank] + sorted(t for t in bank if t not in ROADMAP)


def pick_daily_question(guild_id: int, day: str, posted: set[str]) -> QuestionSpec:
    """Topics in study order, one a day; within the topic a question this server has not had yet."""
    bank = load_bank()
    topics = _order(bank)
    ordinal = datetime.fromisoformat(day).date().toordinal()
    rng = random.Random(f"daily:{guild_id}:{day}")
    for step in range(len(topics)):
        specs = [s for s in bank[topics[(ordinal + step) % len(topics)]] if s.id not in posted]
        if specs:
            return rng.choice(specs)
    return rng.choice(bank[topics[ordinal % len(topics)]])  # every question has been posted: start over


def due_posts(store: LearningStore, now: float) -> list[DueDaily]:
    """Claim and create today's question for every server whose slot is due now; servers whose
    window passed unposted are marked skipped. Call it every minute or so."""
    due: list[DueDaily] = []
    today = utc_day(now)
    for schedule in store.daily_schedules():
        decision = decide(schedule, now)
        if decision == WAIT or not store.claim_daily(schedule.guild_id, today):
            continue
        if decision == SKIP:
            continue
        posted = {p.question["id"] for p in store.daily_posts(schedule.guild_id)}
        spec = pick_daily_question(schedule.guild_id, today, posted)
        post_id = secrets.token_hex(6)
        question = instantiate(spec, random.Random(f"daily:{post_id}")).to_dict()
        due.append(DueDaily(schedule, store.create_daily_post(post_id, schedule.guild_id, schedule.channel_id,
                                                              today, question, now)))
    return due
