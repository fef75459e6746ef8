"""The off-topic classifier's features, and what it decides on the real corpus."""

import numpy as np
import pytest

from knowledge.abstention import FEATURES, CorpusWords, features, uncovered_wording
from knowledge.retriever import SearchResult

CORPUS = CorpusWords.of([
    "Batch normalization and dropout: put dropout after the last batch norm layer.",
    "The learning rate is the most important hyperparameter; tune the learning rate first.",
    "Pick a learning rate on a log scale; a rate too high makes the loss diverge.",
    "Random search beats grid search when few hyperparameters matter, so pick random search.",
    "XGBoost and random forests split on thresholds, so they need no scaling.",
    "A lower learning rate needs more epochs; warm restarts raise the rate again.",
])


def _result(query: str, subject: str = "", dense: float = 0.5, uncovered: float = 0.3,
            keyword: float = 0.0) -> SearchResult:
    return SearchResult(query, [], np.zeros(4, dtype=np.float32), dense, uncovered, subject, keyword)


def test_a_question_naming_an_uncovered_subject_scores_high_and_incidental_words_low():
    subject = "dropout: randomly zeroing units during training, the dropout rate and inverted dropout scaling"
    assert uncovered_wording("what dropout rate should I pick", subject, CORPUS) > 0.6
    # "rate" is common in our passages, "dropout" rare: the subject's own word carries the weight.
    assert uncovered_wording("what dropout should I pick", subject, CORPUS) > uncovered_wording(
        "what rate should I pick", subject, CORPUS)
    assert uncovered_wording("how do I tune the learning rate", subject, CORPUS) < 0.3
    assert uncovered_wording("what is 0.25^10", subject, CORPUS) == 0.0
    assert uncovered_wording("dropout", "", CORPUS) == 0.0


def test_rarer_words_weigh_more():
    assert CORPUS.rarity("xgboost") > CORPUS.rarity("learn") > 0
    assert CORPUS.rarity("never-seen-word") > CORPUS.rarity("xgboost")


def test_features_follow_the_feature_names_and_a_question_without_content_words_is_not_unknown():
    x = features(_result("what is 0.25^10"), "what is 0.25^10", CORPUS, 1.0, 0.8)
    assert x.shape == (len(FEATURES),)
    named = dict(zip(FEATURES, x))
    assert named["known_share"] == 1.0 and named["unknown_words"] == 0.0
    assert named["authored_margin"] == pytest.approx(0.2)
    assert features(_result("hi"), "hi", CORPUS, 0.0, 0.0)[FEATURES.index("authored_margin")] == 0.0


def test_the_best_keyword_score_counts_although_no_returned_hit_has_it():
    x = features(_result("santurkar", keyword=4.0), "santurkar", CORPUS, 0.5)
    assert x[FEATURES.index("keyword")] == pytest.approx(np.log1p(4.0))


def test_the_uncovered_gap_is_measured_against_a_sentence_as_well():
    x = features(_result("gini impurity", dense=0.3, uncovered=0.6), "gini impurity", CORPUS, 0.5, 0.4, 0.45)
    named = dict(zip(FEATURES, x))
    assert named["uncovered_gap"] == pytest.approx(0.3)
    assert named["uncovered_sentence_gap"] == pytest.approx(0.15)


@pytest.fixture(scope="module")
def answerer(services):
    return services.answerer


@pytest.mark.parametrize("question", ["0.25^20?", "cls token", "mixup", "what is 0.25^10"])
def test_a_short_question_with_one_clear_written_answer_is_answered(answerer, question):
    answer = answerer.answer(question)
    assert not answer.abstained and answer.source == "authored", answer.text


@pytest.mark.parametrize("question", [
    "what is dropout", "is 0.5 a good dropout rate", "xgboost learning rate",
    "how many trees in a random forest", "naive bayes",
])
def test_an_ml_subject_we_do_not_cover_abstains_although_an_article_mentions_it(answerer, question):
    answer = answerer.answer(question)
    assert answer.abstained, answer.text
