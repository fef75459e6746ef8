"""Follow-up context: the last N question/answer turns of a thread, bounded by a token budget.

A thread on Discord is one conversation; the front end keeps a :class:`ConversationStore` keyed
by the thread (or channel) id, passes ``store.history(key)`` to ``stream_answer`` and records the
turn afterwards with ``store.record(key, question, answer_text)``. Tokens are estimated at four
characters each (good enough for a budget; no tokenizer is loaded).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bot.llm.citations import strip_citations
from tools.text import clip

DEFAULT_HISTORY_TURNS = 6
HISTORY_TOKEN_BUDGET = 1_500  # all earlier turns together, estimated tokens
MAX_TURN_CHARS = 1_500  # one remembered answer (or question) is clipped to this
CHARS_PER_TOKEN = 4
MAX_CONVERSATIONS = 1_000
CONVERSATION_TTL_S = 6 * 3600.0


@dataclass(frozen=True)
class Turn:
    """One earlier exchange: what the student asked and what the bot answered (no [n] markers)."""

    question: str
    answer: str
    user_id: int | None = None  # who asked (so /forget-me can drop their turns)


def estimate_tokens(text: str) -> int:
    return (len(text) + CHARS_PER_TOKEN - 1) // CHARS_PER_TOKEN


def _clip(text: str, limit: int = MAX_TURN_CHARS) -> str:
    return clip(" ".join((text or "").split()), limit)


def make_turn(question: str, answer: str, user_id: int | None = None) -> Turn:
    """A turn as it is remembered: whitespace folded, citations dropped (their numbers referred
    to the passages of that earlier prompt, not the next one), long text clipped."""
    return Turn(_clip(question), _clip(strip_citations(answer)), user_id)


def select_history(turns: Sequence[Turn], max_turns: int = DEFAULT_HISTORY_TURNS,
                   max_tokens: int = HISTORY_TOKEN_BUDGET) -> tuple[Turn, ...]:
    """The most recent turns, oldest first: at most ``max_turns`` and ``max_tokens`` in total."""
    if max_turns <= 0 or max_tokens <= 0:
        return ()
    picked: list[Turn] = []
    used = 0
    for turn in reversed(list(turns)[-max_turns:]):
        turn = Turn(_clip(turn.question), _clip(turn.answer), turn.user_id)
        cost = estimate_tokens(turn.question) + estimate_tokens(turn.answer)
        if used + cost > max_tokens:
            break
        picked.append(turn)
        used += cost
    picked.reverse()
    return tuple(picked)


class Conversation:
    """The turns of one thread, newest last; never more than ``max_turns`` kept."""

    def __init__(self, max_turns: int = DEFAULT_HISTORY_TURNS, max_tokens: int = HISTORY_TOKEN_BUDGET) -> None:
        self.max_turns = max(0, max_turns)
        self.max_tokens = max_tokens
        self._turns: deque[Turn] = deque(maxlen=max(1, self.max_turns))

    def add(self, question: str, answer: str, user_id: int | None = None) -> None:
        if self.max_turns:
            self._turns.append(make_turn(question, answer, user_id))

    def drop_user(self, user_id: int) -> int:
        """Remove the turns ``user_id`` asked; returns how many went."""
        kept = [t for t in self._turns if t.user_id != user_id]
        dropped = len(self._turns) - len(kept)
        self._turns.clear()
        self._turns.extend(kept)
        return dropped

    def turns(self) -> tuple[Turn, ...]:
        return select_history(tuple(self._turns), self.max_turns, self.max_tokens)

    def clear(self) -> None:
        self._turns.clear()

    def __len__(self) -> int:
        return len(self._turns) if self.max_turns else 0


class ConversationStore:
    """Conversations by key (thread id), least recently used dropped beyond ``max_conversations``
    and idle ones after ``ttl_s``. In memory: a restart starts threads afresh."""

    def __init__(self, max_turns: int = DEFAULT_HISTORY_TURNS, max_tokens: int = HISTORY_TOKEN_BUDGET,
                 max_conversations: int = MAX_CONVERSATIONS, ttl_s: float = CONVERSATION_TTL_S,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.max_turns = max_turns
        self.max_tokens = max_tokens
        self.max_conversations = max_conversations
        self.ttl_s = ttl_s
        self._clock = clock
        self._items: OrderedDict[object, tuple[Conversation, float]] = OrderedDict()
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings) -> "ConversationStore":  # noqa: ANN001 - bot.settings.Settings
        return cls(max_turns=settings.llm_history_turns)

    def _get(self, key: object, create: bool) -> Conversation | None:
        now = self._clock()
        item = self._items.get(key)
        if item is not None and now - item[1] > self.ttl_s:
            del self._items[key]
            item = None
        if item is None:
            if not create:
                return None
            item = (Conversation(self.max_turns, self.max_tokens), now)
        self._items[key] = (item[0], now)
        self._items.move_to_end(key)
        while len(self._items) > self.max_conversations:
            self._items.popitem(last=False)
        return item[0]

    def history(self, key: object) -> tuple[Turn, ...]:
        with self._lock:
            conversation = self._get(key, create=False)
            return conversation.turns() if conversation is not None else ()

    def record(self, key: object, question: str, answer: str, user_id: int | None = None) -> None:
        with self._lock:
            conversation = self._get(key, create=True)
            assert conversation is not None
            conversation.add(question, answer, user_id)

    def forget_user(self, user_id: int) -> int:
        """Drop every turn ``user_id`` asked, in every conversation; returns how many went."""
        with self._lock:
            dropped = 0
            for key, (conversation, _) in list(self._items.items()):
                dropped += conversation.drop_user(user_id)
                if not len(conversation):
                    del self._items[key]
            return dropped

    def forget(self, key: object) -> None:
        with self._lock:
            self._items.pop(key, None)

    def __len__(self) -> int:
        return len(self._items)
