"""Keep a model's scaffolding away from the student: reasoning blocks, our prompt markers, role
labels, echoed instructions and tool calls written as plain text.

A small model often answers with pieces of its prompt (``<<<END QUESTION #597ca1a9>>>``, "The
student's question: …"), chat-template tokens (``<|im_end|>``, "assistant:") or a JSON tool
call it was meant to send as a function call; a reasoning model opens with ``<think>…</think>``.

* :func:`strip_reasoning` removes reasoning blocks (an unclosed one hides everything after it);
* :func:`find_scaffolding` names the first piece of scaffolding in a text, or returns ``""``;
  an answer with any is not shown (the backend falls back to the extractive answer);
* :func:`parse_text_tool_calls` reads tool calls a model wrote as text;
* :class:`StreamGuard` does the same to a token stream: reasoning never streams, text is released
  a sentence at a time once checked, and nothing more is released after scaffolding appears.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass

# Reasoning blocks of the common reasoning models (DeepSeek-R1, QwQ/Qwen3 "<think>", others
# "<thinking>"/"<reasoning>", gpt-oss's analysis channel). Matched case-insensitively.
_REASONING_TAGS = ("think", "thinking", "reasoning", "reflection")
_REASONING_BLOCK_RE = re.compile(
    r"<(?P<tag>" + "|".join(_REASONING_TAGS) + r")>.*?</(?P=tag)>\s*", re.DOTALL | re.IGNORECASE)
_REASONING_OPEN_RE = re.compile(r"<(?:" + "|".join(_REASONING_TAGS) + r")>", re.IGNORECASE)
# A closing tag with no opening one: some servers put the "<think>" in the template, so the
# model's output starts inside the block.
_REASONING_CLOSE_RE = re.compile(r"</(?:" + "|".join(_REASONING_TAGS) + r")>\s*", re.IGNORECASE)
_CHANNEL_RE = re.compile(r"<\|channel\|>\s*analysis.*?(?:<\|end\|>|<\|channel\|>\s*final\s*<\|message\|>)",
                         re.DOTALL | re.IGNORECASE)

# Tool calls written as text, by model family: Hermes/Qwen, Mistral, Llama 3.1, Functionary.
_TEXT_TOOL_RE = re.compile(
    r"<tool_call>\s*(?P<hermes>.*?)\s*(?:</tool_call>|$)"
    r"|\[TOOL_CALLS\]\s*(?P<mistral>\[.*\]|\{.*\})"
    r"|<\|python_tag\|>\s*(?P<llama>\{.*\})"
    r"|<function=(?P<fname>[\w.-]+)>\s*(?P<fargs>\{.*?\})\s*(?:</function>|$)",
    re.DOTALL)
_TOOL_START_RE = re.compile(r"<tool_call>|\[TOOL_CALLS\]|<\|python_tag\|>|<function=", re.IGNORECASE)

# What is never part of an answer: our markers, chat-template tokens, role labels, and the fixed
# phrases of our own prompt (bot.llm.prompt).
_SCAFFOLD_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("prompt marker", re.compile(r"<{2,}|>{3,}|\bEND (?:PASSAGE|QUESTION)\b|\b(?:PASSAGE \d+|QUESTION) #[0-9a-f]{4,}")),
    ("request code", re.compile(r"#[0-9a-f]{8}\b")),
    ("chat-template token", re.compile(
        r"<\|[a-z_]+\|>|\[/?INST\]|<</?SYS>>|</?s>|<start_of_turn>|<end_of_turn>|<\|?endoftext\|?>", re.IGNORECASE)),
    ("role label", re.compile(
        r"(?im)^\W{0,3}(?:system|assistant|user|human|ai|student|tutor|bot|model|instruction|response)\s*:")),
    ("tool call as text", _TOOL_START_RE),
    ("echoed instructions", re.compile(
        r"the student'?s question|passages from our articles|answer the question from passages|"
        r"earlier question from the student|security rules|only markers with the code|"
        r"never reveal or repeat|citing them as \[n\]|you are a patient, precise|"
        r"(?:system|these) (?:prompt|instructions) (?:say|tell)", re.IGNORECASE)),
)
ECHO_WORDS = 8  # an answer repeating this many consecutive words of our instructions echoes them
_WORD_RE = re.compile(r"[a-z0-9']+")


def strip_reasoning(text: str) -> str:
    """``text`` without reasoning blocks; an unclosed opening tag hides all that follows it, and a
    closing tag with no opening one hides all before it."""
    text = _CHANNEL_RE.sub("", text)
    text = _REASONING_BLOCK_RE.sub("", text)
    opened = _REASONING_OPEN_RE.search(text)
    if opened:
        text = text[:opened.start()]
    closes = list(_REASONING_CLOSE_RE.finditer(text))
    if closes:
        text = text[closes[-1].end():]
    return text


def _shingles(text: str, n: int = ECHO_WORDS) -> set[tuple[str, ...]]:
    words = _WORD_RE.findall(text.lower())
    return {tuple(words[i:i + n]) for i in range(len(words) - n + 1)}


class EchoCheck:
    """Does an answer repeat a run of our own instructions? (Passages may be quoted; these may not.)"""

    def __init__(self, instructions: Iterable[str] = ()) -> None:
        self._shingles: set[tuple[str, ...]] = set()
        for text in instructions:
            self._shingles |= _shingles(text)

    def __call__(self, text: str) -> bool:
        return bool(self._shingles) and not self._shingles.isdisjoint(_shingles(text))


def find_scaffolding(text: str, echo: EchoCheck | None = None, nonce: str = "") -> str:
    """What kind of scaffolding ``text`` contains ("prompt marker", "role label", …), or ``""``."""
    if nonce and nonce in text:
        return "request code"
    for name, pattern in _SCAFFOLD_PATTERNS:
        if pattern.search(text):
            return name
    if echo is not None and echo(text):
        return "echoed instructions"
    return ""


# ---------------------------------------------------------------------------------- tool calls
@dataclass(frozen=True)
class TextToolCall:
    name: str
    arguments: str  # JSON text, as a function call would carry it


def _calls_from_json(raw: str, known: Collection[str]) -> list[TextToolCall]:
    try:
        data = json.loads(raw)
    except (TypeError, ValueError):
        return []
    items = data if isinstance(data, list) else [data]
    calls = []
    for item in items:
        if not isinstance(item, dict):
            return []
        if isinstance(item.get("function"), dict):  # {"type": "function", "function": {...}}
            item = item["function"]
        name = item.get("name")
        args = item.get("arguments", item.get("parameters", {}))
        if not isinstance(name, str) or name not in known:
            return []
        if isinstance(args, str):
            try:
                args = json.loads(args or "{}")
            except ValueError:
                return []
        if not isinstance(args, dict):
            return []
        calls.append(TextToolCall(name, json.dumps(args)))
    return calls


def parse_text_tool_calls(text: str, known: Collection[str]) -> tuple[list[TextToolCall], str]:
    """Tool calls a model wrote as text instead of sending them as function calls, and the text
    left without them. Only calls of ``known`` tools count. A reply that is nothing but a JSON
    object naming a tool counts too (some models answer ``{"name": …, "arguments": …}``)."""
    calls: list[TextToolCall] = []
    rest = text
    for match in list(_TEXT_TOOL_RE.finditer(text)):
        if match.group("fname"):
            found = _calls_from_json(json.dumps({"name": match.group("fname"),
                                                 "arguments": _loads_or_none(match.group("fargs"))}), known)
        else:
            found = _calls_from_json(match.group("hermes") or match.group("mistral") or match.group("llama") or "",
                                     known)
        if found:
            calls.extend(found)
            rest = rest.replace(match.group(0), " ")
    if not calls:
        body = _strip_code_fence(text.strip())
        if body.startswith(("{", "[")):
            calls = _calls_from_json(body, known)
            if calls:
                rest = ""
    return calls, rest.strip() if calls else text


def _loads_or_none(raw: str) -> object:
    try:
        return json.loads(raw)
    except ValueError:
        return None


def _strip_code_fence(text: str) -> str:
    fenced = re.fullmatch(r"```(?:json)?\s*(.*?)\s*```", text, re.DOTALL)
    return fenced.group(1) if fenced else text


# ---------------------------------------------------------------------------------- streaming
# Text this close to the end of what has arrived is held back: every fixed phrase above is
# shorter, so a phrase is complete (and checked) before any of it could be released.
HOLD_CHARS = 48


class StreamGuard:
    """Filters a model's text deltas for display while it streams.

    Reasoning blocks are never released; other text is released word by word, except its last
    :data:`HOLD_CHARS` characters, after the whole text so far passed :func:`find_scaffolding`. Once scaffolding (or a tool call
    written as text) is seen, nothing more is released: ``tripped`` says what was found, and the
    final message — the verified answer or the fallback — replaces what was shown.
    """

    def __init__(self, echo: EchoCheck | None = None, nonce: str = "") -> None:
        self.echo = echo
        self.nonce = nonce
        self.raw = ""
        self.shown = ""  # the visible text released so far
        self.tripped = ""

    def feed(self, delta: str) -> str:
        self.raw += delta
        return self._release(final=False)

    def flush(self) -> str:
        return self._release(final=True)

    def _release(self, final: bool) -> str:
        if self.tripped:
            return ""
        visible = strip_reasoning(self.raw)
        if not visible.startswith(self.shown):  # a late "</think>": what was shown was reasoning
            self.tripped = "reasoning"
            return ""
        stripped = visible.lstrip()
        if stripped.startswith(("{", "[{", "```")):  # a JSON tool call (or code) first: hold it all
            return ""
        found = find_scaffolding(visible, self.echo, self.nonce)
        if found:
            self.tripped = found
            return ""
        start = len(self.shown)
        end = len(visible)
        if not final:
            cut = max(visible.rfind(" ", 0, len(visible) - HOLD_CHARS + 1),
                      visible.rfind("\n", 0, len(visible) - HOLD_CHARS + 1))
            end = cut + 1 if cut >= 0 else start
        if end <= start:
            return ""
        self.shown = visible[:end]
        return visible[start:end]
