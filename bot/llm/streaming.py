"""What ``stream_answer`` yields, and a throttle that turns it into at most ~1 message edit/second.

``backend.stream_answer(question, history)`` is an async iterator of events:

* :class:`TextDelta` — more answer text (citations already range-checked and renumbered);
* :class:`ToolStarted` / :class:`ToolFinished` — the model ran a demo;
* :class:`Final` — always last, exactly once: the checked answer (``.result``) and the
  platform-neutral ``.reply`` to render with sources (it may be the extractive fallback, whose
  text replaces whatever was streamed), built by :func:`bot.replies.result_reply`.

:func:`throttle_edits` consumes those events and yields :class:`Edit` snapshots of the whole
text so far — the first as soon as text arrives, then no more often than ``interval_s`` (text
that arrives in between is flushed by a timer, not only when the next token comes), and a last
``final=True`` edit carrying the result.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Hashable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Union

from bot.replies import BackendAnswer, result_reply
from bot.reply import Reply
from tools.text import clip

EDIT_INTERVAL_S = 1.0
PREVIEW_CHARS = 1_900  # a Discord message holds 2,000 characters


@dataclass(frozen=True)
class TextDelta:
    text: str


@dataclass(frozen=True)
class ToolStarted:
    command: str
    arguments: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ToolFinished:
    command: str
    ok: bool
    error: str = ""


@dataclass(frozen=True)
class Final:
    result: BackendAnswer  # a bot.llm.backend.AnswerResult

    @cached_property
    def reply(self) -> Reply:
        """The Reply to render (built once: it carries the answer id the feedback buttons use)."""
        return result_reply(self.result)


StreamEvent = Union[TextDelta, ToolStarted, ToolFinished, Final]


@dataclass(frozen=True)
class Edit:
    """What the message should show now: the answer so far and a status line (e.g. a running
    demo). The final edit carries the Reply to render, and the backend's result when there was one."""

    text: str
    status: str = ""
    final: bool = False
    result: BackendAnswer | None = None
    reply: Reply | None = None

    def preview(self, limit: int = PREVIEW_CHARS) -> str:
        """Text for a plain message edit while streaming (clipped; status in italics below)."""
        tail = f"\n\n*{self.status}*" if self.status else ""
        body = clip(self.text.strip(), max(0, limit - len(tail)))
        return (body + tail).strip() or "…"


class EditThrottle:
    """``due()`` at most once per ``interval_s``; ``mark()`` after each edit."""

    def __init__(self, interval_s: float = EDIT_INTERVAL_S, clock: Callable[[], float] = time.monotonic) -> None:
        self.interval_s = interval_s
        self._clock = clock
        self._last = float("-inf")

    def remaining(self) -> float:
        return max(0.0, self._last + self.interval_s - self._clock())

    def due(self) -> bool:
        return self.remaining() <= 0.0

    def mark(self) -> None:
        self._last = self._clock()

    async def wait(self) -> None:
        delay = self.remaining()
        if delay > 0:
            await asyncio.sleep(delay)


class EditBudget:
    """One edit rate per key, shared by everything that edits there.

    Discord counts message edits per channel, not per message: three answers streaming in one
    channel at one edit a second each would make three edits a second there. So a front end
    keys this by channel and every stream waits for its turn: each edit takes the next free slot
    (``interval_s`` after the previous one in that channel), and N concurrent streams in a
    channel make at most one edit per ``interval_s`` between them. While a stream waits,
    :func:`throttle_edits` keeps reading the model, so the next edit shows all the text so far.
    """

    def __init__(self, interval_s: float = EDIT_INTERVAL_S, clock: Callable[[], float] = time.monotonic,
                 max_keys: int = 10_000) -> None:
        self.interval_s = interval_s
        self._clock = clock
        self._max_keys = max_keys
        self._next: OrderedDict[Hashable, float] = OrderedDict()

    def reserve(self, key: Hashable) -> float:
        """Take the next slot for ``key``; returns how long to wait for it (0: now)."""
        now = self._clock()
        slot = max(now, self._next.get(key, float("-inf")))
        self._next[key] = slot + self.interval_s
        self._next.move_to_end(key)
        while len(self._next) > self._max_keys:  # the oldest keys' slots are long past
            self._next.popitem(last=False)
        return slot - now

    async def wait(self, key: Hashable) -> None:
        delay = self.reserve(key)
        if delay > 0:
            await asyncio.sleep(delay)


_END = object()


async def cancel_task(task: asyncio.Task[Any]) -> None:
    """Stop a helper task and wait for it, without swallowing our own cancellation."""
    if task.done():
        return
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        current = asyncio.current_task()
        if current is not None and current.cancelling():
            raise
    except Exception:  # already handed to the consumer
        pass


async def throttle_edits(events: AsyncIterator[StreamEvent], interval_s: float = EDIT_INTERVAL_S,
                         final_waits: bool = True) -> AsyncIterator[Edit]:
    """Snapshots of the streamed answer for message edits, at most one per ``interval_s``.

    The events are read in a task of their own, so a slow edit never stalls the model's stream.
    ``final_waits`` keeps the last edit within the rate too (it may wait up to ``interval_s``).
    """
    queue: asyncio.Queue[Any] = asyncio.Queue()

    async def pump() -> None:
        try:
            async for event in events:
                queue.put_nowait(event)
        except Exception as err:  # handed to the consumer, raised there
            queue.put_nowait(err)
        finally:
            queue.put_nowait(_END)

    task = asyncio.create_task(pump())
    throttle = EditThrottle(interval_s)
    text, status, dirty = "", "", False
    try:
        while True:
            timeout = throttle.remaining() if dirty else None
            try:
                event = await asyncio.wait_for(queue.get(), timeout) if timeout is not None else await queue.get()
            except asyncio.TimeoutError:
                event = None  # the timer: flush what arrived since the last edit
            if event is _END:
                break
            if isinstance(event, BaseException):
                raise event
            if isinstance(event, Final):
                if final_waits:
                    await throttle.wait()
                throttle.mark()
                yield Edit(event.result.answer.text, "", True, event.result, event.reply)
                return
            if isinstance(event, TextDelta):
                text += event.text
                dirty = dirty or bool(event.text)
            elif isinstance(event, ToolStarted):
                status, dirty = f"running /{event.command}…", True
            elif isinstance(event, ToolFinished):
                status = "" if event.ok else f"/{event.command} failed: {event.error[:120]}"
                dirty = True
            if dirty and throttle.due():
                throttle.mark()
                dirty = False
                yield Edit(text, status)
    finally:
        await cancel_task(task)
