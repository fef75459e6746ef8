"""Short on-topic questions are answered, and by the article they are about: notation survives the
markup cleaning, "mean" the statistic is a content word, ML terms with an everyday sense are read
in our sense, and "why does batch norm work" gets batch normalization's own direct answer."""

import re

import pytest

from knowledge.abstention import content_words
from knowledge.query import normalize_query


@pytest.mark.parametrize("raw, expected", [
    ("what is p_t", "what is p_t"),
    ("what is α_t?", "what is α_t?"),
    ("_italic_ and __bold__ words", "italic and bold words"),
    ("fan_in = 512", "fan in = 512"),
])
def test_a_subscript_is_notation_not_markup(raw, expected):
    assert normalize_query(raw) == expected


def test_a_running_mean_is_read_as_batch_norm_unless_another_method_is_named():
    assert "batch normalization" in normalize_query("what is the running mean")
    assert "batch normalization" in normalize_query("track_running_stats=False")
    assert normalize_query("running mean in adam") == "running mean in adam"


@pytest.mark.parametrize("text, words", [
    ("running mean", ["running", "mean"]),
    ("subtract the mean and divide by the std", ["subtract", "mean", "divide", "std"]),
    ("what does it mean", []),
    ("what does the coefficient mean", ["coefficient"]),
])
def test_mean_the_statistic_is_a_content_word_mean_the_verb_is_not(text, words):
    assert content_words(text) == words


@pytest.fixture(scope="module")
def answerer(services):
    return services.answerer


@pytest.mark.parametrize("question, answer_id", [
    ("what is p_t", "fl-pt"),
    ("why do resnets work", "vg-residual"),
    ("running mean", "bn-running-stats"),
    ("running mean in batchnorm", None),
    ("what is the running mean", "bn-running-stats"),
])
def test_short_on_topic_questions_are_answered(answerer, question, answer_id):
    answer = answerer.answer(question)
    assert not answer.abstained, question
    if answer_id:
        assert answer.authored_id == answer_id
    else:
        assert answer.citations[0].chunk.topic == "batch-normalization"


@pytest.mark.parametrize("question", ["what's a good running pace for a marathon", "best running shoes for beginners",
                                      "what does a p value mean"])
def test_the_everyday_sense_still_abstains(answerer, question):
    assert answerer.answer(question).abstained


@pytest.mark.parametrize("question", ["why does batch norm work", "why does bn work"])
def test_why_batch_norm_works_is_answered_directly_from_its_article(answerer, question):
    answer = answerer.answer(question)
    assert answer.citations[0].chunk.topic == "batch-normalization"
    first = re.split(r"(?<=[.!?]) ", answer.text)[0]
    assert "loss landscape" in first and "learning rate" in first
    assert re.search(r"original explanation, reducing internal covariate shift", answer.text)


def test_how_batch_norm_works_gets_what_it_computes(answerer):
    answer = answerer.answer("how does batch norm work")
    assert answer.authored_id == "bn-what"
