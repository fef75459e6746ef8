"""The edit throttle: first edit at once, then at most one per interval, timer flush, final last."""

import asyncio
import time

import pytest

from bot.llm.backend import AnswerResult
from bot.llm.streaming import Edit, EditBudget, EditThrottle, Final, TextDelta, ToolFinished, ToolStarted, throttle_edits
from knowledge.answerer import Answer


def _result(text):
    return AnswerResult(Answer("q", text, False))


async def _events(script):
    for delay, event in script:
        await asyncio.sleep(delay)
        yield event


def _run(script, interval):
    async def go():
        start = time.monotonic()
        return [(time.monotonic() - start, e) async for e in throttle_edits(_events(script), interval)]

    return asyncio.run(go())


def test_many_tokens_give_few_edits_spaced_by_the_interval():
    script = [(0.005, TextDelta(f"w{i} ")) for i in range(60)] + [(0, Final(_result("final text")))]
    edits = _run(script, interval=0.1)
    times = [t for t, _ in edits]
    assert edits[0][0] < 0.05  # first edit as soon as text arrives
    assert all(b - a >= 0.095 for a, b in zip(times, times[1:]))
    assert 3 <= len(edits) <= 6  # ~0.3 s of tokens
    assert edits[-1][1].final and edits[-1][1].text == "final text"
    texts = [e.text for _, e in edits[:-1]]
    assert all(a.startswith("w0") and b.startswith(a) for a, b in zip(texts, texts[1:]))


def test_text_that_arrives_during_a_pause_is_flushed_by_the_timer():
    script = [(0, TextDelta("a")), (0.01, TextDelta("b")), (0.4, Final(_result("ab")))]
    edits = _run(script, interval=0.1)
    assert [e.text for _, e in edits] == ["a", "ab", "ab"]
    assert 0.08 <= edits[1][0] <= 0.3  # "b" shown by the timer, long before the final


def test_tool_status_is_shown_while_a_demo_runs():
    script = [(0, TextDelta("Let me run it.")), (0, ToolStarted("plot gradient-flow", {"depth": 20})),
              (0.2, ToolFinished("plot gradient-flow", True)), (0.2, Final(_result("done")))]
    edits = [e for _, e in _run(script, interval=0.05)]
    assert any(e.status == "running /plot gradient-flow…" for e in edits)
    assert edits[-1].status == "" and edits[-1].final


def test_errors_in_the_stream_reach_the_consumer():
    async def broken():
        yield TextDelta("a")
        raise RuntimeError("boom")

    async def go():
        return [e async for e in throttle_edits(broken(), 0.01)]

    with pytest.raises(RuntimeError, match="boom"):
        asyncio.run(go())


def test_preview_clips_to_a_discord_message():
    edit = Edit("x" * 5000, status="running /demo tuning…")
    text = edit.preview()
    assert len(text) <= 1900 and text.endswith("*running /demo tuning…*") and "…" in text
    assert Edit("").preview() == "…"


def test_edit_throttle_with_a_fake_clock():
    now = [0.0]
    throttle = EditThrottle(1.0, clock=lambda: now[0])
    assert throttle.due()
    throttle.mark()
    now[0] = 0.6
    assert not throttle.due() and throttle.remaining() == pytest.approx(0.4)
    now[0] = 1.0
    assert throttle.due()


def test_edit_budget_gives_concurrent_streams_in_one_channel_consecutive_slots():
    now = [10.0]
    budget = EditBudget(1.0, clock=lambda: now[0])
    # three streams in channel 1 want to edit at the same moment: one slot each, a second apart
    assert [budget.reserve(1), budget.reserve(1), budget.reserve(1)] == [0.0, 1.0, 2.0]
    assert budget.reserve(2) == 0.0  # another channel has its own budget
    now[0] = 20.0  # long after: the channel's budget is free again
    assert budget.reserve(1) == 0.0


def test_edit_budget_forgets_the_oldest_channels_beyond_its_cap():
    budget = EditBudget(1.0, clock=lambda: 0.0, max_keys=2)
    budget.reserve("a")
    budget.reserve("b")
    budget.reserve("c")  # "a" is dropped, so its next edit is not delayed
    assert budget.reserve("a") == 0.0 and budget.reserve("c") == 1.0
