"""Sentence-level verification (bot.llm.verify), with a bag-of-words encoder so the logic is
tested exactly; the MiniLM behaviour is covered in test_backend_standin and the real-server tests."""

from __future__ import annotations

import re

import numpy as np
import pytest

from bot.llm.verify import make_evidence, numbers_in, split_units, verify_answer

DIM = 512


def bow(texts):
    out = np.zeros((len(texts), DIM), dtype=np.float32)
    for i, text in enumerate(texts):
        for word in re.findall(r"[a-z]+", text.lower()):
            out[i, hash(word) % DIM] += 1.0
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return out / np.maximum(norms, 1e-9)


PASSAGES = {
    1: ["Focal loss down-weights easy, well-classified examples.", "The focusing parameter gamma is usually 2."],
    2: ["A sigmoid's derivative is at most 0.25.", "Over 10 layers the gradient shrinks by 0.25^10."],
}


def evidence(passages=PASSAGES):
    return [make_evidence(n, s, bow(s)) for n, s in passages.items()]


def check(text, **kw):
    return verify_answer(text, evidence(), bow, threshold=0.6, **kw)


def test_supported_cited_sentences_are_kept():
    v = check("Focal loss down-weights easy, well-classified examples [1]. A sigmoid's derivative is at most 0.25 [2].")
    assert v.useful and len(v.kept) == 2 and not v.dropped
    assert v.text == ("Focal loss down-weights easy, well-classified examples [1]. "
                      "A sigmoid's derivative is at most 0.25 [2].")


def test_a_sentence_without_a_citation_is_dropped():
    v = check("Focal loss down-weights easy, well-classified examples [1]. Focal loss was invented in 1850 by Gauss.")
    assert [c.reason for c in v.dropped] == ["cites no passage"]
    assert "Gauss" not in v.text and "[1]" in v.text


def test_a_citation_that_does_not_support_its_sentence_is_dropped():
    v = check("The vanishing gradient problem is also known as the dying relu problem [1].")
    assert not v.kept and "not supported" in v.dropped[0].reason and not v.useful


def test_out_of_range_citation():
    v = check("Focal loss down-weights easy, well-classified examples [7].")
    assert "matches no passage" in v.dropped[0].reason


def test_only_the_supporting_citation_is_kept():
    v = check("A sigmoid's derivative is at most 0.25 [1][2].")
    assert v.kept[0].kept == (2,)


def test_a_number_missing_from_the_cited_passage_drops_the_sentence():
    v = check("The focusing parameter gamma is usually 5 [1].")
    assert "number 5" in v.dropped[0].reason
    assert check("The focusing parameter gamma is usually 2 [1].").useful


def test_a_rounded_number_matches_its_source():
    assert check("A sigmoid's derivative is at most 0.3 [2].").useful  # 0.25 rounded half up
    assert not check("A sigmoid's derivative is at most 0.4 [2].").useful
    tool = make_evidence(3, ["precision 0.9090909"], bow(["precision 0.9090909"]), kind="tool")
    v = verify_answer("The precision for class cat is 0.909 [3].", evidence() + [tool], bow, threshold=0.6)
    assert v.useful and v.kept[0].kept == (3,)


def test_numbers_from_the_question_may_be_repeated():
    text = "Over 10 layers with 0.7 the gradient shrinks by 0.25^10 [2]."
    assert not check(text).useful
    assert check(text, question="what about a coefficient of 0.7?").useful


def test_most_of_the_answer_dropped_is_not_useful():
    v = check("Focal loss down-weights easy, well-classified examples [1]. Transformers were invented by aliens in "
              "the desert of Nevada. Gradient boosting beats every neural network on every single task always.")
    assert len(v.kept) == 1 and v.dropped_share > 0.5 and not v.useful
    assert "were not supported" in v.problem


def test_list_items_and_paragraphs_keep_their_layout():
    v = check("Two facts:\n- Focal loss down-weights easy, well-classified examples [1]\n"
              "- A sigmoid's derivative is at most 0.25 [2]\n\nThe focusing parameter gamma is usually 2 [1].")
    assert v.text == ("- Focal loss down-weights easy, well-classified examples [1]\n"
                      "- A sigmoid's derivative is at most 0.25 [2]\n\n"
                      "The focusing parameter gamma is usually 2 [1].")
    assert [c.unit.claim for c in v.dropped] == ["Two facts:"]


def test_tool_output_supports_an_uncited_sentence():
    tool = make_evidence(3, ["the gradient norm at layer 1 is 6.86e-17 vs 0.316 at layer 20"],
                         bow(["the gradient norm at layer 1 is 6.86e-17 vs 0.316 at layer 20"]), kind="tool")
    v = verify_answer("The gradient norm at layer 1 is 6.86e-17 vs 0.316 at layer 20.", evidence() + [tool], bow,
                      threshold=0.6)
    assert v.useful and v.kept[0].kept == (3,)


@pytest.mark.parametrize("text, expected", [
    ("0.25^10 ≈ 9.5 × 10⁻⁷", {"0.25", "10", "9.5", "7"}),
    ("1,000 samples and 0.50 recall", {"1000", "0.5"}),
    ("L2, word2vec and F1 are names", set()),
    ("a 20-layer net", {"20"}),
])
def test_numbers_in(text, expected):
    assert numbers_in(text) == expected


def test_citations_after_the_full_stop_belong_to_their_sentence():
    units = split_units("Focal loss helps. [1] It uses gamma, e.g. 2 here [1][2]. Does that help?")
    assert [u.cited for u in units] == [(1,), (1, 2), ()]
    units = split_units("See [Passage 2] and (passage 1).")
    assert units[0].cited == (2, 1)


def test_a_sentence_on_topic_but_adding_its_own_claims_is_dropped():
    text = "Focal loss down-weights easy examples and was invented by Kaiming at Facebook Research in Menlo Park, California [1]."
    loose = verify_answer(text, evidence(), bow, threshold=0.3, max_novel_share=1.0)
    strict = verify_answer(text, evidence(), bow, threshold=0.3)
    assert loose.useful and not strict.useful
    assert "of its words are not in it" in strict.dropped[0].reason
    # words of the student's question are not new
    assert verify_answer("Focal loss down-weights easy examples for my detector [1].", evidence(), bow,
                         threshold=0.3, question="focal loss for my detector?").useful
