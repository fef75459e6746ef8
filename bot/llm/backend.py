"""Answer backends: how ``/ask`` turns a question into a cited answer.

:class:`ExtractiveBackend` is the existing answerer (quoted sentences, no model). It is the
default, and with no LLM configured ``/ask`` behaves exactly as before.

:class:`OpenAIChatBackend` writes the answer with a chat model on any OpenAI-compatible server
(Ollama, llama.cpp server, vLLM, a hosted API) through the official ``openai`` SDK:

1. retrieval and abstention are the extractive answerer's — if it abstains, the model is not
   called (it is never asked to invent an answer); its extractive answer is kept as the fallback;
2. the prompt holds excerpts of the retrieved passages — heading, the sentences the extractive
   answer quoted, the ones closest to the question — numbered and delimited
   (:mod:`bot.llm.evidence`, :mod:`bot.llm.prompt`);
3. the model may call the demo commands as function tools (:mod:`bot.llm.tools_schema`); the
   arguments are validated like a slash command's, the results go back to the model (citable
   as [n] after the passages) and the images to the student;
4. while it streams, reasoning blocks and scaffolding never reach the student
   (:mod:`bot.llm.scaffolding`); the final text is verified sentence by sentence against what
   each sentence cites (:mod:`bot.llm.grounding`, :mod:`bot.llm.verify`);
5. on an error, a timeout, an empty answer, scaffolding, or an answer that does not survive
   verification, the extractive answer is returned with a one-line note (``fallback`` says why).

Both backends offer a blocking :meth:`answer` (what the ``ask`` command calls, in a worker
thread on Discord) and an async :meth:`stream_answer` for front ends that edit a message as
tokens arrive (see :mod:`bot.llm.streaming`).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from bot.commands.registry import call_handler
from bot.llm.citations import CitationReport, CitationRewriter
from bot.llm.conversation import DEFAULT_HISTORY_TURNS, Turn, estimate_tokens, make_turn, select_history
from bot.llm.evidence import SentenceBank, select_excerpts
from bot.llm.grounding import ToolOutput, check_answer
from bot.llm.prompt import Prompt, block, build_prompt
from bot.llm.scaffolding import EchoCheck, StreamGuard, parse_text_tool_calls
from bot.llm.streaming import Final, StreamEvent, TextDelta, ToolFinished, ToolStarted, cancel_task
from bot.llm.tools_schema import ToolArgumentError, ToolCatalog
from bot.reply import Image, Reply, Table
from bot.llm.verify import Verification
from knowledge.answerer import Answer, ExtractiveAnswerer
from knowledge.followup import is_followup
from knowledge.query import MAX_QUERY_CHARS, validate_query
from tools.errors import UserInputError
from tools.text import clip

if TYPE_CHECKING:
    from bot.commands.registry import CommandSpec
    from bot.settings import Settings

log = logging.getLogger(__name__)

ToolRunner = Callable[["CommandSpec", dict[str, Any]], Awaitable[Reply]]
Emit = Callable[[StreamEvent], None]

MAX_TOOL_ROUNDS = 2  # model → tools → model → tools → model (the last round may not call tools)
MAX_CALLS_PER_ROUND = 2
TOOL_SUMMARY_CHARS = 1_500
TOOL_DATA_CHARS = 3_000
TEMPERATURE = 0.2
NO_KEY = "no-key"  # local servers ignore the key; the SDK wants one
UNVERIFIED_NOTE = ("The generated answer could not be checked against our articles, so this answer is quoted "
                   "from them instead.")
FALLBACK_REASONS = ("timeout", "error", "unverified", "scaffolding", "abstained")


@dataclass(frozen=True)
class ToolRun:
    """One tool call of the model: the command, its validated arguments, and how it went."""

    command: str
    arguments: dict[str, Any]
    ok: bool
    error: str = ""

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"command": self.command, "arguments": self.arguments, "ok": self.ok}
        if self.error:
            data["error"] = self.error
        return data


@dataclass(frozen=True)
class AnswerResult:
    """A backend's answer. ``answer`` has the same shape as the extractive answerer's (text with
    [n] markers, ``citations[i].number == i + 1``); the rest is what an LLM answer adds."""

    answer: Answer
    backend: str = "extractive"
    note: str = ""
    fallback: str = ""  # why the extractive answer is shown instead: one of FALLBACK_REASONS
    images: tuple[Image, ...] = ()
    tables: tuple[Table, ...] = ()
    tool_runs: tuple[ToolRun, ...] = ()
    citation_check: CitationReport | None = None
    timings_ms: dict[str, float] = field(default_factory=dict, compare=False)
    verification: Verification | None = field(default=None, compare=False)
    prompt_tokens: int | None = None  # as the server counted them (estimated when it does not say)

    @property
    def generated_by(self) -> str:
        """"llm" when the model wrote the text shown, else "extractive" (quoted from the articles)."""
        return "extractive" if self.backend == "extractive" else "llm"

    def reply_data(self) -> dict[str, Any]:
        """What ``tutor ask --json`` adds to the answer: who wrote it and, if not the model, why."""
        data: dict[str, Any] = {"generated_by": self.generated_by, "fallback": self.fallback or None}
        if self.prompt_tokens is not None:
            data["prompt_tokens"] = self.prompt_tokens
        return data

    @property
    def text(self) -> str:
        return self.answer.text

    @property
    def abstained(self) -> bool:
        return self.answer.abstained

    def turn(self) -> Turn:
        """This exchange as conversation history (for the next follow-up in the thread)."""
        return make_turn(self.answer.question, self.answer.text)

    def reply_extra(self) -> dict[str, Any]:
        """What goes into ``Reply.extra``; empty for a plain extractive answer (so its Reply is
        exactly what ``/ask`` always produced). ``footer`` is shown by every front end."""
        extra: dict[str, Any] = {}
        if self.backend != "extractive":
            extra["backend"] = self.backend
        if self.fallback:
            extra["fallback"] = self.fallback
        if self.backend != "extractive":
            extra["footer"] = " ".join(filter(None, [
                f"Written by {self.backend.removeprefix('llm:')} from the cited passages; every sentence was "
                "checked against them.", self.note]))
        elif self.note:
            extra["footer"] = f"Quoted from our articles. {self.note}"
        if self.note:
            extra["note"] = self.note
        if self.verification is not None and self.verification.dropped:
            extra["sentences_dropped"] = len(self.verification.dropped)
        if self.citation_check is not None and self.citation_check.flagged:
            extra["citations_removed"] = list(self.citation_check.removed)
        if self.tool_runs:
            extra["tools"] = [run.as_dict() for run in self.tool_runs]
        return extra


@runtime_checkable
class AnswerBackend(Protocol):
    name: str

    def answer(self, question: str, history: Sequence[Turn] = (), *, guild_id: int | None = None,
               level: str | None = None) -> AnswerResult:
        """Blocking; call from a worker thread (or the CLI). ``guild_id``: whose server notes
        count as evidence (``None``: the local console/CLI notes). ``level``: beginner |
        standard | deep (``None``: what the question implies, else standard)."""
        ...

    def stream_answer(self, question: str, history: Sequence[Turn] = (), *,
                      run_tool: ToolRunner | None = None, guild_id: int | None = None,
                      level: str | None = None) -> AsyncIterator[StreamEvent]:
        """Events ending with exactly one :class:`~bot.llm.streaming.Final`."""
        ...


def thread_tool_runner(services: Any, timeout_s: float) -> ToolRunner:
    """Run the demos the model asks for in a worker thread, each within ``timeout_s`` (what the
    CLI and the console use; the Discord bot runs them in its process pool instead)."""

    async def run(spec: CommandSpec, kwargs: dict[str, Any]) -> Reply:
        return await asyncio.wait_for(asyncio.to_thread(call_handler, spec, services, kwargs), timeout_s)

    return run


def followup_query(question: str, history: Sequence[Turn]) -> str:
    """A retrieval query for a follow-up ("and why is that?"): the previous question + this one."""
    if not history:
        return question
    combined = f"{history[-1].question} {question}"
    return combined[-MAX_QUERY_CHARS:]


def retrieve(answerer: ExtractiveAnswerer, question: str, history: Sequence[Turn] = (),
             guild_id: int | None = None, level: str | None = None) -> Answer:
    """The extractive answer (with the retrieved passages). The thread's earlier questions go to
    the answerer, which reads a short follow-up ("and for tanh?") together with the last one; a
    follow-up that still abstains is retried joined to the previous question. Without history
    this is exactly ``answerer.answer(question)``. ``guild_id`` selects whose server notes are
    searched too."""

    previous = [turn.question for turn in history]
    answer = answerer.answer(question, guild_id=guild_id, level=level, previous=previous)
    # only a follow-up borrows the previous question: a new question that abstains on its own
    # ("what batch size for my bakery?") must not be answered from the last topic
    if answer.abstained and history and is_followup(question):
        alternative = answerer.answer(followup_query(question, history), guild_id=guild_id, level=level)
        if not alternative.abstained:
            return replace(alternative, question=question)
    return answer


def _ms(since: float) -> float:
    return round((time.perf_counter() - since) * 1000, 3)


class ExtractiveBackend:
    """The quoted, model-free answerer (the default)."""

    name = "extractive"

    def __init__(self, answerer: ExtractiveAnswerer) -> None:
        self.answerer = answerer

    def answer(self, question: str, history: Sequence[Turn] = (), *, guild_id: int | None = None,
               level: str | None = None) -> AnswerResult:
        started = time.perf_counter()
        answer = retrieve(self.answerer, validate_query(question), history, guild_id, level)
        return AnswerResult(answer, timings_ms={"retrieval_ms": _ms(started)})

    async def stream_answer(self, question: str, history: Sequence[Turn] = (), *,
                            run_tool: ToolRunner | None = None, guild_id: int | None = None,
                            level: str | None = None) -> AsyncIterator[StreamEvent]:
        question = validate_query(question)
        yield Final(await asyncio.to_thread(lambda: self.answer(question, history, guild_id=guild_id, level=level)))


class LLMError(Exception):
    """The model answered, but not with anything usable."""


@dataclass
class _Call:
    id: str = ""
    name: str = ""
    arguments: str = ""


@dataclass
class _Exchange:
    """What one answer's model calls produced (filled in as it streams)."""

    texts: list[str] = field(default_factory=list)
    tool_runs: list[ToolRun] = field(default_factory=list)
    images: list[Image] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    truncated: bool = False
    first_token_at: float | None = None
    tool_outputs: list[ToolOutput] = field(default_factory=list)
    prompt_tokens: int | None = None
    guard: StreamGuard | None = None


def _clip_data(data: Any, limit: int = TOOL_DATA_CHARS) -> Any:
    try:
        encoded = json.dumps(data, default=str)
    except (TypeError, ValueError):
        return clip(str(data).strip(), limit)
    if len(encoded) <= limit:
        return json.loads(encoded)
    return encoded[: limit - 12] + "…(truncated)"


def _describe(err: BaseException, timeout_s: float) -> str:
    import openai

    if isinstance(err, (TimeoutError, asyncio.TimeoutError, openai.APITimeoutError)):
        return f"did not answer within {timeout_s:g} s"
    if isinstance(err, openai.APIStatusError):
        return f"returned an error (HTTP {err.status_code})"
    if isinstance(err, openai.APIConnectionError):
        return "could not be reached"
    if isinstance(err, LLMError):
        return str(err)
    return "failed"


class OpenAIChatBackend:
    """Generated, cited answers from an OpenAI-compatible chat-completions server."""

    def __init__(self, answerer: ExtractiveAnswerer, *, base_url: str, model: str, api_key: str | None = None,
                 timeout_s: float = 30.0, max_tokens: int = 600, history_turns: int = DEFAULT_HISTORY_TURNS,
                 run_tool: ToolRunner | None = None, tools: ToolCatalog | bool | None = True,
                 tool_timeout_s: float = 60.0, max_retries: int = 1, temperature: float = TEMPERATURE,
                 compact_prompt: bool = True) -> None:
        """``run_tool(spec, kwargs) -> Reply`` runs a demo the model asked for when the caller of
        :meth:`stream_answer` gives none (without either, the model is offered no tools)."""
        if tools is True:
            tools = ToolCatalog.from_registry() if run_tool is not None else None
        self.answerer = answerer
        self.base_url = base_url
        self.model = model
        self.api_key = api_key or NO_KEY
        self.timeout_s = timeout_s
        self.max_tokens = max_tokens
        self.history_turns = history_turns
        self.run_tool = run_tool
        self.tools: ToolCatalog | None = tools or None
        self.tool_schemas = self.tools.schemas() if self.tools else []
        self.tools_supported = True  # turned off when the server says the model can't use tools
        self.tool_timeout_s = tool_timeout_s
        self.max_retries = max_retries
        self.temperature = temperature
        self.compact_prompt = compact_prompt  # excerpts (issue 14) rather than whole passages
        self.stream_usage = True  # ask for token usage in the stream; off when the server refuses
        self.name = f"llm:{model}"
        self._bank: SentenceBank | None = None
        self._clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Any] = weakref.WeakKeyDictionary()

    @property
    def bank(self) -> SentenceBank:
        """Passage sentences and their vectors (built on first use: it may load MiniLM)."""
        if self._bank is None:
            self._bank = SentenceBank.for_answerer(self.answerer)
        return self._bank

    @property
    def tool_names(self) -> frozenset[str]:
        return frozenset(s["function"]["name"] for s in self.tool_schemas)

    def build_prompt(self, question: str, grounded: Answer, history: Sequence[Turn] = ()) -> Prompt:
        """The prompt for ``grounded``'s passages: excerpts of them (``compact_prompt``) or whole."""
        tools = bool(self.tool_schemas) and self.tools_supported
        if not self.compact_prompt:
            return build_prompt(question, [h.chunk for h in grounded.passages], history, tools=tools)
        excerpts = select_excerpts(question, grounded, self.bank)
        return build_prompt(question, [e.chunk for e in excerpts], history, tools=tools,
                            excerpts=[e.sentences for e in excerpts])

    # ------------------------------------------------------------------ clients
    def new_client(self) -> Any:
        from openai import AsyncOpenAI

        return AsyncOpenAI(base_url=self.base_url, api_key=self.api_key, timeout=self.timeout_s,
                           max_retries=self.max_retries)

    def warm_up(self) -> None:
        """What the first answer would otherwise pay for (call it in a thread at start): the
        openai package's imports and the sentence bank the excerpts are chosen from."""
        import openai  # noqa: F401 - its import is slow and lazy in parts

        _ = self.bank

    async def open_client(self) -> None:
        """Make the running loop's client now, in a thread: building one creates an SSL context,
        tens of milliseconds that would otherwise stall the bot's loop on the first answer."""
        loop = asyncio.get_running_loop()
        if loop not in self._clients:
            client = await asyncio.to_thread(self._new_warm_client)
            self._clients.setdefault(loop, client)

    def _new_warm_client(self) -> Any:
        client = self.new_client()
        _ = client.chat.completions  # the resource modules are imported on first access
        return client

    def client(self) -> Any:
        """The client of the running event loop (connections are reused between answers)."""
        loop = asyncio.get_running_loop()
        client = self._clients.get(loop)
        if client is None:
            client = self._clients[loop] = self.new_client()
        return client

    async def aclose(self) -> None:
        client = self._clients.pop(asyncio.get_running_loop(), None)
        if client is not None:
            await client.close()

    # ------------------------------------------------------------------ public API
    def answer(self, question: str, history: Sequence[Turn] = (), *, guild_id: int | None = None,
               level: str | None = None) -> AnswerResult:
        """Blocking answer (no streaming); runs its own event loop, so call it from a thread."""

        async def run() -> AnswerResult:
            client = self.new_client()
            try:
                return await self.run(client, question, history, None, lambda event: None, guild_id, level)
            finally:
                await client.close()

        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return asyncio.run(run())
        with ThreadPoolExecutor(1) as pool:  # called from async code by mistake: don't nest loops
            return pool.submit(asyncio.run, run()).result()

    async def stream_answer(self, question: str, history: Sequence[Turn] = (), *,
                            run_tool: ToolRunner | None = None, guild_id: int | None = None,
                            level: str | None = None) -> AsyncIterator[StreamEvent]:
        """Text deltas, tool events, then one Final. ``run_tool(spec, kwargs) -> Reply`` runs a
        demo the model asked for (Discord: its process pool, with the tool timeout); default:
        the runner given at construction."""
        question = validate_query(question)  # a bad question fails before anything is sent
        queue: asyncio.Queue[Any] = asyncio.Queue()
        done = object()

        async def produce() -> None:
            try:
                queue.put_nowait(Final(await self.run(self.client(), question, history, run_tool, queue.put_nowait,
                                                      guild_id, level)))
            except Exception as err:  # raised in the consumer
                queue.put_nowait(err)
            finally:
                queue.put_nowait(done)

        # The model calls run in a task of their own, so their timeouts never straddle a yield.
        task = asyncio.create_task(produce())
        try:
            while True:
                item = await queue.get()
                if item is done:
                    break
                if isinstance(item, Exception):
                    raise item
                yield item
        finally:
            await cancel_task(task)

    # ------------------------------------------------------------------ one answer
    async def run(self, client: Any, question: str, history: Sequence[Turn], run_tool: ToolRunner | None,
                  emit: Emit, guild_id: int | None = None, level: str | None = None) -> AnswerResult:
        started = time.perf_counter()
        question = validate_query(question)
        history = select_history(history, self.history_turns)
        grounded = await asyncio.to_thread(retrieve, self.answerer, question, history, guild_id, level)
        timings = {"retrieval_ms": _ms(started)}
        if grounded.abstained:  # nothing to ground an answer on: the model is not asked
            return AnswerResult(grounded, fallback="abstained", timings_ms=timings)

        mark = time.perf_counter()
        prompt = await asyncio.to_thread(self.build_prompt, question, grounded, history)
        timings["prompt_ms"] = _ms(mark)

        mark = time.perf_counter()
        exchange = _Exchange()
        try:
            await self._converse(client, prompt, run_tool, emit, exchange)
            raw = "\n\n".join(t.strip() for t in exchange.texts if t.strip()).strip()
            if not raw:
                raise LLMError("returned an empty answer")
        except Exception as err:
            timings["llm_ms"] = _ms(mark)
            reason = _describe(err, self.timeout_s)
            if reason == "failed":
                log.exception("LLM call failed; answering extractively")
            else:
                log.warning("LLM %s; answering extractively", reason)
            return AnswerResult(
                grounded, note=f"The language model {reason}, so this answer is quoted from our articles instead.",
                fallback="timeout" if reason.startswith("did not answer within") else "error",
                images=tuple(exchange.images), tables=tuple(exchange.tables), tool_runs=tuple(exchange.tool_runs),
                timings_ms=timings, prompt_tokens=self._prompt_tokens(prompt, exchange))
        timings["llm_ms"] = _ms(mark)
        if exchange.first_token_at is not None:
            timings["first_token_ms"] = round((exchange.first_token_at - started) * 1000, 3)

        mark = time.perf_counter()
        result = await asyncio.to_thread(self._finish, question, grounded, prompt, raw, exchange, timings)
        timings["post_ms"] = _ms(mark)
        return result

    def _prompt_tokens(self, prompt: Prompt, exchange: _Exchange) -> int:
        return exchange.prompt_tokens if exchange.prompt_tokens is not None else estimate_tokens(
            "".join(m.get("content") or "" for m in prompt.messages))

    def _finish(self, question: str, grounded: Answer, prompt: Prompt, raw: str, exchange: _Exchange,
                timings: dict[str, float]) -> AnswerResult:
        """Verify the model's text sentence by sentence (:func:`bot.llm.grounding.check_answer`);
        what fails is the extractive answer with a one-line note."""
        checked = check_answer(question, prompt, raw, self.bank, exchange.tool_outputs, self.tool_names)
        common = dict(images=tuple(exchange.images), tables=tuple(exchange.tables),
                      tool_runs=tuple(exchange.tool_runs), timings_ms=timings, verification=checked.verification,
                      prompt_tokens=self._prompt_tokens(prompt, exchange))
        if checked.fallback:
            log.info("generated answer not shown (%s: %s); answering extractively", checked.fallback, checked.problem)
            return AnswerResult(grounded, note=UNVERIFIED_NOTE, fallback=checked.fallback, **common)
        notes = []
        if exchange.truncated:
            notes.append("The answer was cut at the length limit.")
        text = checked.text + (" …" if exchange.truncated else "")
        answer = Answer(question, text, False, checked.citations, grounded.passages, grounded.best_score,
                        level=grounded.level)
        return AnswerResult(answer, backend=self.name, note=" ".join(notes), citation_check=checked.report, **common)

    # ------------------------------------------------------------------ the model
    async def _converse(self, client: Any, prompt: Prompt, run_tool: ToolRunner | None, emit: Emit,
                        exchange: _Exchange) -> None:
        messages = list(prompt.messages)
        # Demos are cited after the passages: [n + 1], [n + 2], …
        rewriter = CitationRewriter(len(prompt.passages) + MAX_TOOL_ROUNDS * MAX_CALLS_PER_ROUND)
        exchange.guard = StreamGuard(EchoCheck(prompt.instructions()), prompt.nonce)
        for round_no in range(MAX_TOOL_ROUNDS + 1):
            last = round_no == MAX_TOOL_ROUNDS
            async with asyncio.timeout(self.timeout_s):
                content, calls, finish = await self._round(client, messages, last, rewriter, emit, exchange)
            as_text = False
            if not calls and not last and self.tools is not None and (run_tool or self.run_tool):
                text_calls, rest = parse_text_tool_calls(content, self.tool_names)
                if text_calls:  # a model that writes its tool calls as text: run them all the same
                    calls = [_Call(f"text_call_{i}", c.name, c.arguments) for i, c in enumerate(text_calls)]
                    content, as_text = rest, True
            if content.strip():
                exchange.texts.append(content)
            if finish == "content_filter":
                raise LLMError("stopped its answer (content filter)")
            if not calls or last:
                exchange.truncated = finish == "length"
                break
            if not as_text:
                messages.append({
                    "role": "assistant",
                    "content": content or None,
                    "tool_calls": [{"id": c.id, "type": "function",
                                    "function": {"name": c.name, "arguments": c.arguments}} for c in calls],
                })
            results = []
            for i, call in enumerate(calls):
                if i < MAX_CALLS_PER_ROUND:
                    payload = await self._call_tool(call, run_tool, emit, exchange, len(prompt.passages))
                else:
                    payload = {"error": f"too many tool calls at once; make at most {MAX_CALLS_PER_ROUND}"}
                results.append(payload)
                if not as_text:
                    messages.append({"role": "tool", "tool_call_id": call.id, "content": json.dumps(payload)})
            if as_text:  # no tool role for a call the server never saw: the results come back as data
                messages.append({"role": "assistant", "content": content or "(running the demos)"})
                messages.append({"role": "user", "content": "Results of the demos you asked for:\n\n" + "\n\n".join(
                    block("RESULT", json.dumps(r), prompt.nonce, str(i + 1)) for i, r in enumerate(results))
                    + "\n\nNow answer the question, citing passages and demos as [n]."})
        tail = rewriter.feed(exchange.guard.flush()) + rewriter.flush()
        if tail:
            emit(TextDelta(tail))

    async def _round(self, client: Any, messages: list[dict[str, Any]], last: bool, rewriter: CitationRewriter,
                     emit: Emit, exchange: _Exchange) -> tuple[str, list[_Call], str | None]:
        import openai

        kwargs: dict[str, Any] = {"model": self.model, "messages": messages, "max_tokens": self.max_tokens,
                                  "temperature": self.temperature, "stream": True}
        if self.stream_usage:
            kwargs["stream_options"] = {"include_usage": True}
        if self.tool_schemas and self.tools_supported:
            kwargs["tools"] = self.tool_schemas
            if last:
                kwargs["tool_choice"] = "none"
        for _ in range(3):  # each retry drops one field the server refused
            try:
                stream = await client.chat.completions.create(**kwargs)
                break
            except (openai.BadRequestError, openai.UnprocessableEntityError) as err:
                message = str(err).lower()
                if "stream_options" in kwargs and ("stream_options" in message or "include_usage" in message):
                    log.warning("the server rejected stream_options (%s); not asking for usage", err)
                    self.stream_usage = False
                    kwargs.pop("stream_options")
                elif "tools" in kwargs and "tool" in message:
                    log.warning("the server rejected tools for model %s (%s); answering without tools",
                                self.model, err)
                    self.tools_supported = False
                    kwargs.pop("tools")
                    kwargs.pop("tool_choice", None)
                else:
                    raise
        else:
            stream = await client.chat.completions.create(**kwargs)
        parts: list[str] = []
        calls: dict[int, _Call] = {}
        finish: str | None = None
        async with stream:
            async for chunk in stream:
                usage = getattr(chunk, "usage", None)
                if usage is not None and getattr(usage, "prompt_tokens", None):
                    exchange.prompt_tokens = (exchange.prompt_tokens or 0) + usage.prompt_tokens
                if not chunk.choices:  # a usage-only chunk, or a server's keep-alive
                    continue
                choice = chunk.choices[0]
                delta = choice.delta
                if delta is not None and delta.content:
                    piece = delta.content
                    if not parts and exchange.texts:
                        piece = "\n\n" + piece  # text after a tool call starts a new paragraph
                    parts.append(delta.content)
                    shown = rewriter.feed(exchange.guard.feed(piece)) if exchange.guard else rewriter.feed(piece)
                    if shown:
                        if exchange.first_token_at is None:
                            exchange.first_token_at = time.perf_counter()
                        emit(TextDelta(shown))
                legacy = getattr(delta, "function_call", None) if delta is not None else None
                if legacy is not None and not (delta.tool_calls or []):  # the pre-tools "function_call" form
                    call = calls.setdefault(0, _Call())
                    call.name += legacy.name if legacy.name and legacy.name != call.name else ""
                    call.arguments += legacy.arguments or ""
                for pos, tool_call in enumerate((delta.tool_calls if delta is not None else None) or []):
                    call = calls.setdefault(tool_call.index if tool_call.index is not None else pos, _Call())
                    if tool_call.id:
                        call.id = tool_call.id
                    function = tool_call.function
                    if function is not None:
                        if function.name and function.name != call.name:
                            call.name += function.name
                        if function.arguments:
                            call.arguments += function.arguments
                if choice.finish_reason:
                    finish = choice.finish_reason
        ordered = [calls[i] for i in sorted(calls)]
        for i, call in enumerate(ordered):
            call.id = call.id or f"call_{i}"
        return "".join(parts), ordered, finish

    # ------------------------------------------------------------------ tools
    async def _call_tool(self, call: _Call, run_tool: ToolRunner | None, emit: Emit,
                         exchange: _Exchange, n_passages: int = 0) -> dict[str, Any]:
        assert self.tools is not None
        run_tool = run_tool or self.run_tool
        try:
            spec, kwargs = self.tools.validate(call.name, call.arguments)
        except ToolArgumentError as err:  # the model's mistake: it gets the message and may retry
            exchange.tool_runs.append(ToolRun(call.name, {}, False, str(err)))
            return {"error": str(err), "hint": "fix the arguments and call again, or answer without the tool"}
        emit(ToolStarted(spec.name, dict(kwargs)))
        try:
            if run_tool is None:
                raise UserInputError(f"/{spec.name} cannot run here")
            reply = await run_tool(spec, kwargs)
            error = reply.text if reply.is_error else ""
        except UserInputError as err:
            reply, error = None, str(err)
        except (TimeoutError, asyncio.TimeoutError):
            reply, error = None, f"/{spec.name} took longer than {self.tool_timeout_s:g} s and was stopped"
        except Exception as err:  # a demo failing must not fail the answer
            log.warning("demo /%s failed as a tool call", spec.name, exc_info=True)
            reply, error = None, f"/{spec.name} failed: {clip(str(err).strip(), 200) or type(err).__name__}"
        exchange.tool_runs.append(ToolRun(spec.name, dict(kwargs), not error, error))
        emit(ToolFinished(spec.name, not error, error))
        if error or reply is None:
            return {"command": f"/{spec.name}", "error": error}
        exchange.images.extend(reply.images)
        exchange.tables.extend(reply.tables)
        summary = clip(reply.text.strip(), TOOL_SUMMARY_CHARS)
        data = _clip_data(reply.data)
        number = n_passages + len(exchange.tool_outputs) + 1
        exchange.tool_outputs.append(ToolOutput(number, spec.name, summary, data))
        return {
            "command": f"/{spec.name}",
            "cite_as": f"[{number}]",
            "arguments": kwargs,
            "summary": summary,
            "data": data,
            "images": [{"filename": im.filename, "description": im.description} for im in reply.images],
            "note": "The student sees these images below your answer." if reply.images else "",
        }


def build_backend(settings: Settings, answerer: ExtractiveAnswerer, run_tool: ToolRunner | None = None) -> AnswerBackend:
    """The backend the settings ask for: extractive unless ``LLM_BASE_URL`` (and ``LLM_MODEL``) are set."""
    if not settings.llm_base_url:
        return ExtractiveBackend(answerer)
    if not settings.llm_model:
        log.error("LLM_BASE_URL is set but LLM_MODEL is not; answering extractively")
        return ExtractiveBackend(answerer)
    key = settings.llm_api_key.get_secret_value() if settings.llm_api_key is not None else None
    return OpenAIChatBackend(
        answerer, base_url=settings.llm_base_url, model=settings.llm_model, api_key=key,
        timeout_s=settings.llm_timeout_s, max_tokens=settings.llm_max_tokens,
        history_turns=settings.llm_history_turns, run_tool=run_tool, tool_timeout_s=settings.tool_timeout_s)
