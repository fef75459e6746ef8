"""Answer completeness: what the question asks about that the written answer does not say is
added from a near-tied second written answer (the question blends two sub-questions)."""

import pytest

from knowledge.answerer import asked_terms, terms
from knowledge.authored import AuthoredMatch


@pytest.fixture(scope="module")
def answerer(services):
    return services.answerer


def _answer_with(answerer, question, best, runner_up, cosine, runner_up_cosine):
    """The authored answer ``best`` for ``question`` as if matched with these cosines."""
    result = answerer.kb.search(question, k=5)
    match = AuthoredMatch(answerer.authored.by_id[best], cosine, runner_up_cosine, runner_up)
    worked = type(answerer.answer("what is relu").computed)()
    return answerer._authored(question, result, match, "standard", worked, None)


def test_asked_terms_spell_out_abbreviations_and_merge_word_forms():
    asked = asked_terms("does BN make the landscape smoother?")
    assert {"batch", "normal", "landscape", "smooth"} <= asked
    assert "bn" not in asked  # its expansion stands in for it: an answer never says "BN" to cover it
    assert terms("Batch normalization smooths the loss landscape") >= {"batch", "normal", "smooth", "landscape"}


QUESTION = "why would changing layer input distributions slow training down"
RUNNER_UP_LEAD = "was thought to slow training because each layer chases a moving target"


def test_a_near_tied_runner_up_adds_its_lead_sentence_when_it_covers_what_is_asked(answerer):
    answer = _answer_with(answerer, QUESTION, "ics-why-happens", "ics-why-problem", 0.86, 0.84)
    assert answer.text.startswith(answerer.authored.by_id["ics-why-happens"].answer)
    assert RUNNER_UP_LEAD in answer.text  # "slow" is asked, and only the runner-up says it
    runner_up = answerer.authored.by_id["ics-why-problem"]
    assert any(c.chunk.section == runner_up.section for c in answer.citations)


def test_a_distant_runner_up_is_not_blended_in(answerer):
    answer = _answer_with(answerer, QUESTION, "ics-why-happens", "ics-why-problem", 0.95, 0.84)
    assert RUNNER_UP_LEAD not in answer.text


def test_a_runner_up_that_adds_nothing_asked_is_left_out_and_its_verdict_never_leads(answerer):
    # "Yes, deep networks can train without batch normalization…" answers another question
    question = "what batch size does batch norm need"
    answer = _answer_with(answerer, question, "bn-batch-size", "bn-without-bn", 0.75, 0.74)
    assert "without batch normalization" not in answer.text
    assert "Yes," not in answer.text


def test_a_computed_list_is_stated_even_when_the_answer_has_its_single_numbers(answerer):
    # the written ReLU answer has its own example with 0, 0.5 and 3 in it, but not this list
    answer = answerer.answer("relu of x = [-2, 0.5, 3] and the gradient at each point")
    assert "= [0, 0.5, 3]" in answer.text and "[0, 1, 1]" in answer.text
    assert any(c.chunk.topic == "calculator" for c in answer.citations)
    assert answer.computed.computations[0].tool == "relu"


def test_each_part_of_a_two_part_question_gets_its_written_answer(answerer):
    from knowledge.chunking import split_sentences

    answer = answerer.answer("what does focal loss do, and what gamma should i pick")
    assert answer.source == "authored" and answer.authored_id == "fl-gamma"
    definition = answerer.authored.by_id["fl-what"]  # what "what does focal loss do" alone matches
    assert split_sentences(definition.answer)[0] in answer.text
    assert any(c.chunk.section == definition.section for c in answer.citations)


def test_a_one_part_question_is_matched_once(answerer):
    result = answerer.kb.search("what does focal loss do", k=5)
    match = answerer.authored_match(result)
    assert answerer._part_answers("what does focal loss do", match, result, "standard") == []
