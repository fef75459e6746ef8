"""What real OpenAI-compatible servers do differently, each against the stand-in (issue 14, item 6):
tool-call arguments split across deltas, missing or unusual ``finish_reason``, empty ``choices``,
servers that reject ``tools`` or ``stream_options``, and models that write tool calls as text."""

from __future__ import annotations

import asyncio
import json

import pytest

from bot.llm.streaming import Final, TextDelta, ToolFinished
from tests.llm.conftest import FakeAnswers
from tests.llm.standin import Chunks, Fail, Respond, Say

GOOD = "The gradient shrinks as it travels backwards through a deep network [1]."
QUESTION = "why does my deep net stop learning?"


def choice(delta, finish=None):
    return {"choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}


def pieces(text, size=7):
    return [choice({"content": text[i:i + size]}) for i in range(0, len(text), size)]


def collect(backend, question=QUESTION):
    async def go():
        events = [e async for e in backend.stream_answer(question)]
        await backend.aclose()
        return events

    return asyncio.run(go())


def final(events):
    assert isinstance(events[-1], Final)
    return events[-1].result


def test_tool_call_split_over_deltas_without_index_and_with_the_name_in_pieces(standin, make_backend):
    calls = Chunks([
        choice({"role": "assistant"}),
        {"choices": [{"index": 0, "delta": {"tool_calls": [{"id": "abc", "type": "function",
                                                            "function": {"name": "demo_", "arguments": ""}}]}}]},
        {"choices": [{"index": 0, "delta": {"tool_calls": [{"function": {"name": "activations"}}]}}]},
        {"choices": [{"index": 0, "delta": {"tool_calls": [{"function": {"arguments": "{"}}]}}]},
        {"choices": [{"index": 0, "delta": {"tool_calls": [{"function": {"arguments": "}"}}]}}]},
        choice({}, "tool_calls"),
    ])
    standin.push(calls, Say(GOOD))
    result = final(collect(make_backend()))
    assert [(r.command, r.ok) for r in result.tool_runs] == [("demo activations", True)]
    assert standin.requests[1]["messages"][-1]["tool_call_id"] == "abc"
    assert result.text == GOOD and not result.fallback


def test_a_stream_without_finish_reason_still_answers(standin, make_backend):
    standin.push(Chunks(pieces(GOOD)))  # no finish chunk at all
    result = final(collect(make_backend()))
    assert result.text == GOOD and not result.fallback


@pytest.mark.parametrize("finish, fallback", [("eos", ""), ("end_turn", ""), ("content_filter", "error")])
def test_unusual_finish_reasons(standin, make_backend, finish, fallback):
    standin.push(Chunks(pieces(GOOD) + [choice({}, finish)]))
    result = final(collect(make_backend()))
    assert result.fallback == fallback
    assert result.text == (GOOD if not fallback else FakeAnswers().answer("q").text)


def test_empty_choices_and_a_usage_chunk_are_skipped_and_the_prompt_tokens_kept(standin, make_backend):
    chunks = [{"choices": []}, *pieces(GOOD), {"choices": []}, choice({}, "stop"),
              {"choices": [], "usage": {"prompt_tokens": 321, "completion_tokens": 20, "total_tokens": 341}}]
    standin.push(Chunks(chunks))
    result = final(collect(make_backend()))
    assert result.text == GOOD and result.prompt_tokens == 321
    assert standin.requests[0]["stream_options"] == {"include_usage": True}


@pytest.mark.parametrize("status", [400, 422])
def test_a_server_that_rejects_tools_is_asked_again_without_them(standin, make_backend, status):
    standin.push(Fail(status, "this model does not support tools / tool_choice"), Say(GOOD))
    backend = make_backend()
    result = final(collect(backend))
    assert result.text == GOOD and backend.tools_supported is False
    assert "tools" in standin.requests[0] and "tools" not in standin.requests[1]


def test_a_server_that_rejects_stream_options_is_asked_again_without_them(standin, make_backend):
    standin.push(Fail(400, "Unrecognized request argument supplied: stream_options"), Say(GOOD))
    backend = make_backend()
    result = final(collect(backend))
    assert result.text == GOOD and backend.stream_usage is False
    assert "stream_options" not in standin.requests[1] and result.prompt_tokens > 0  # estimated


@pytest.mark.parametrize("written", [
    '<tool_call>\n{"name": "demo_activations", "arguments": {}}\n</tool_call>',
    '{"name": "demo_activations", "arguments": {}}',
    '[TOOL_CALLS] [{"name": "demo_activations", "arguments": {}}]',
])
def test_a_tool_call_written_as_text_is_run_and_never_shown(standin, make_backend, written):
    def after_results(body):
        last = body["messages"][-1]
        assert last["role"] == "user" and "<<<RESULT 1 #" in last["content"]
        return Say(GOOD)

    standin.push(Say(written, chunk_chars=4), Respond(after_results))
    events = collect(make_backend())
    result = final(events)
    assert [(e.command, e.ok) for e in events if isinstance(e, ToolFinished)] == [("demo activations", True)]
    shown = "".join(e.text for e in events if isinstance(e, TextDelta))
    assert "demo_activations" not in shown and "{" not in shown
    assert result.text == GOOD and not result.fallback


def test_a_text_tool_call_in_the_last_round_is_not_shown(standin, make_backend):
    standin.push(Say('{"name": "demo_activations", "arguments": {}}'))
    result = final(collect(make_backend(tools=None, run_tool=None)))
    assert result.fallback == "unverified" and result.text == FakeAnswers().answer("q").text
