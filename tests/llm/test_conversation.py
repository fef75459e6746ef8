"""Follow-up history: last N turns within a token budget; one conversation per thread, bounded."""

from bot.llm.conversation import Conversation, ConversationStore, Turn, estimate_tokens, select_history
from bot.settings import Settings


def test_last_n_turns_oldest_first():
    turns = [Turn(f"q{i}", f"a{i}") for i in range(10)]
    assert select_history(turns, 3) == tuple(turns[7:])
    assert select_history(turns, 0) == ()


def test_token_budget_drops_the_oldest_turns_first():
    turns = [Turn("q" * 400, "a" * 400) for _ in range(5)]  # 200 estimated tokens each
    picked = select_history(turns, 6, max_tokens=450)
    assert len(picked) == 2
    assert sum(estimate_tokens(t.question) + estimate_tokens(t.answer) for t in picked) <= 450


def test_long_turns_are_clipped_and_citations_dropped_when_recorded():
    conversation = Conversation(max_turns=2)
    conversation.add("why?", "Because gradients shrink [1][2]. " + "x" * 5000)
    (turn,) = conversation.turns()
    assert "[1]" not in turn.answer and len(turn.answer) <= 1500 and turn.answer.endswith("…")
    for i in range(5):
        conversation.add(f"q{i}", f"a{i}")
    assert [t.question for t in conversation.turns()] == ["q3", "q4"]


def test_store_keeps_threads_apart_and_forgets_idle_and_old_ones():
    now = [0.0]
    store = ConversationStore(max_turns=3, max_conversations=2, ttl_s=100, clock=lambda: now[0])
    store.record("thread-a", "what is relu?", "max(0, x)")
    store.record("thread-b", "what is bn?", "normalises")
    assert store.history("thread-a") == (Turn("what is relu?", "max(0, x)"),)
    store.record("thread-c", "focal?", "easy examples down-weighted")  # evicts b (least recent)
    assert store.history("thread-b") == () and len(store) == 2
    now[0] = 150.0
    assert store.history("thread-a") == ()  # idle past the TTL


def test_store_from_settings_uses_llm_history_turns():
    store = ConversationStore.from_settings(Settings(LLM_HISTORY_TURNS=2))
    for i in range(4):
        store.record(1, f"q{i}", f"a{i}")
    assert [t.question for t in store.history(1)] == ["q2", "q3"]


def test_only_a_follow_up_borrows_the_previous_question(services):
    """A new question that abstains on its own stays refused after an on-topic turn; a short
    follow-up is still read with the question before it."""
    from bot.llm.backend import retrieve
    from bot.llm.conversation import Turn

    answerer = services.answerer
    history = [Turn("what is focal loss used for?", "Focal loss down-weights easy examples.")]
    new_question = "ask is getting recall = 1 hard?"
    assert answerer.answer(new_question).abstained
    assert retrieve(answerer, new_question, history).abstained
    follow_up = retrieve(answerer, "and why gamma 2?", history)
    assert not follow_up.abstained and follow_up.citations[0].chunk.topic == "focal-loss"
