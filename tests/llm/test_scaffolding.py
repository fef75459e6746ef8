"""Scaffolding detection, reasoning stripping and text tool calls (bot.llm.scaffolding)."""

from __future__ import annotations

import json

import pytest

from bot.llm.prompt import build_prompt
from bot.llm.scaffolding import HOLD_CHARS, EchoCheck, StreamGuard, find_scaffolding, parse_text_tool_calls, strip_reasoning
from tests.llm.conftest import CHUNKS


@pytest.mark.parametrize("text", [
    "<<<END QUESTION #597ca1a9>>>\nThe student's question: how do I read it?",
    "Focal loss down-weights easy examples [1]. <<<END PASSAGE 1 #1f3a9c0d>>",
    "Focal loss down-weights easy examples. END PASSAGE 2",
    "The student's question: what is focal loss?",
    "assistant: Focal loss is a loss.",
    "Sure!\nUser: what is relu",
    "Focal loss is a loss.<|im_end|>",
    "[INST] answer this [/INST]",
    'Let me run it. <tool_call>{"name": "plot_gradient_flow", "arguments": {}}</tool_call>',
    "Passages from our articles: focal loss is…",
])
def test_scaffolding_is_found(text):
    assert find_scaffolding(text)


@pytest.mark.parametrize("text", [
    "Focal loss down-weights easy, well-classified examples [1].",
    "With 20 layers the product is 0.25^20 ≈ 9.1 × 10⁻¹³, so the first layer barely learns [2].",
    "Precision is TP / (TP + FP); recall is TP / (TP + FN) [1].",
    "- ReLU keeps a slope of one for positive inputs [1]\n- sigmoid's slope is at most 0.25 [2]",
    "Use `nn.BatchNorm1d(64)` after the linear layer [3].",
])
def test_ordinary_answers_are_not_scaffolding(text):
    assert find_scaffolding(text) == ""


def test_echo_of_our_instructions_is_found_but_quoting_a_passage_is_not():
    prompt = build_prompt("what is focal loss?", CHUNKS, nonce="0123abcd")
    echo = EchoCheck([prompt.messages[0]["content"]])
    echoed = "End every sentence with the number of the passage it comes from, as I was told."
    assert find_scaffolding(echoed, echo) == "echoed instructions"
    quoted = CHUNKS[3].text + " [1]"
    assert find_scaffolding(quoted, echo) == ""
    assert find_scaffolding("as asked: 0123abcd", echo, nonce="0123abcd") == "request code"


@pytest.mark.parametrize("raw, shown", [
    ("<think>The user wants focal loss.</think>Focal loss down-weights easy examples [1].",
     "Focal loss down-weights easy examples [1]."),
    ("<THINKING>hmm</THINKING>\n\nAnswer [1].", "Answer [1]."),
    ("Answer first. <think>and then an unclosed block that never ends", "Answer first. "),
    ("reasoning that the template opened</think>The answer [1].", "The answer [1]."),
    ("no reasoning at all [1].", "no reasoning at all [1]."),
])
def test_reasoning_is_stripped(raw, shown):
    assert strip_reasoning(raw) == shown


def _stream(guard: StreamGuard, text: str, size: int = 3) -> str:
    out = "".join(guard.feed(text[i:i + size]) for i in range(0, len(text), size))
    return out + guard.flush()


@pytest.mark.parametrize("size", [1, 2, 5, 40])
def test_reasoning_never_streams_however_the_text_is_cut(size):
    guard = StreamGuard()
    shown = _stream(guard, "<think>Let me think. The passages say. OK.</think>Focal loss helps [1]. It focuses on "
                           "hard examples [1].", size)
    assert shown == "Focal loss helps [1]. It focuses on hard examples [1]."
    assert "think" not in shown.lower() and not guard.tripped


@pytest.mark.parametrize("size", [1, 4, 50])
def test_stream_stops_at_scaffolding_and_never_shows_it(size):
    guard = StreamGuard()
    shown = _stream(guard, "Focal loss helps [1]. The logits are scaled.\n<<<END QUESTION #597ca1a9>>>\nThe "
                           "student's question: how", size)
    assert "<<" not in shown and "student's question" not in shown
    assert "Focal loss helps [1]. The logits are scaled.\n".startswith(shown) and guard.tripped == "prompt marker"


def test_stream_holds_a_json_tool_call():
    guard = StreamGuard()
    assert _stream(guard, '{"name": "plot_gradient_flow", "arguments": {"depth": 20}}') == ""


def test_stream_releases_words_but_holds_the_tail_back():
    guard = StreamGuard()
    assert guard.feed("Focal loss down-wei") == ""
    text = "ghts easy examples [1], so training focuses on the hard ones [1]. It foc"
    shown = guard.feed(text)
    assert shown == "Focal loss down-weights easy examples [1], "
    assert len("Focal loss down-wei" + text) - len(shown) >= HOLD_CHARS
    assert shown + guard.flush() == "Focal loss down-wei" + text


KNOWN = {"plot_gradient_flow", "demo_activations"}


@pytest.mark.parametrize("text", [
    '<tool_call>\n{"name": "plot_gradient_flow", "arguments": {"depth": 20}}\n</tool_call>',
    '[TOOL_CALLS] [{"name": "plot_gradient_flow", "arguments": {"depth": 20}}]',
    '<|python_tag|>{"name": "plot_gradient_flow", "parameters": {"depth": 20}}',
    '<function=plot_gradient_flow>{"depth": 20}</function>',
    '{"name": "plot_gradient_flow", "arguments": {"depth": 20}}',
    '```json\n{"type": "function", "function": {"name": "plot_gradient_flow", "arguments": "{\\"depth\\": 20}"}}\n```',
])
def test_tool_calls_written_as_text_are_read(text):
    calls, rest = parse_text_tool_calls(text, KNOWN)
    assert [(c.name, json.loads(c.arguments)) for c in calls] == [("plot_gradient_flow", {"depth": 20})]
    assert rest == ""


def test_unknown_tools_and_prose_are_not_tool_calls():
    text = '{"name": "rm_rf", "arguments": {}}'
    assert parse_text_tool_calls(text, KNOWN) == ([], text)
    prose = "Gradient flow shows the norms per layer [1]."
    assert parse_text_tool_calls(prose, KNOWN) == ([], prose)
    calls, rest = parse_text_tool_calls('Let me show you. <tool_call>{"name": "demo_activations", '
                                        '"arguments": {}}</tool_call>', KNOWN)
    assert [c.name for c in calls] == ["demo_activations"] and rest == "Let me show you."
