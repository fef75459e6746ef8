"""Per-user cooldowns and per-guild concurrency caps (platform-neutral, asyncio-friendly).

A study session means many students at once; one person spamming a training demo must not
starve everyone else, and one server must not fill the whole worker pool.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from collections.abc import Iterator


class RateLimited(Exception):
    """The caller must wait ``retry_after_s`` seconds; ``str()`` is a friendly message."""

    def __init__(self, message: str, retry_after_s: float) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


@dataclass
class Cooldowns:
    """At most one use per ``period_s`` per (user, bucket)."""

    clock: Callable[[], float] = time.monotonic
    _last: dict[tuple[int, str], float] = field(default_factory=dict)

    def hit(self, user_id: int, bucket: str, period_s: float) -> None:
        now = self.clock()
        key = (user_id, bucket)
        last = self._last.get(key)
        if last is not None and now - last < period_s:
            wait = period_s - (now - last)
            raise RateLimited(f"slow down: you can use this again in {math.ceil(wait)} s", wait)
        self._last[key] = now
        if len(self._last) > 10_000:  # forget stale entries; bounded memory
            cutoff = now - 3600
            self._last = {k: v for k, v in self._last.items() if v >= cutoff}


@dataclass
class GuildGate:
    """At most ``limit`` heavy commands in flight per guild."""

    limit: int
    retry_hint_s: float = 10.0
    _in_flight: dict[int, int] = field(default_factory=dict)

    @contextmanager
    def slot(self, guild_id: int | None) -> Iterator[None]:
        key = guild_id or 0
        if self._in_flight.get(key, 0) >= self.limit:
            raise RateLimited(
                f"busy: this server already has {self.limit} demos running; try again in "
                f"{math.ceil(self.retry_hint_s)} s",
                self.retry_hint_s,
            )
        self._in_flight[key] = self._in_flight.get(key, 0) + 1
        try:
            yield
        finally:
            self._in_flight[key] -= 1
            if not self._in_flight[key]:
                del self._in_flight[key]

    def in_flight(self, guild_id: int | None) -> int:
        return self._in_flight.get(guild_id or 0, 0)
