"""Citation checking: out-of-range and unsupported [n] dropped, the rest renumbered; streaming agrees."""

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.llm.citations import CitationRewriter, strip_citations, verify_citations

PASSAGES = [
    "The vanishing gradient problem: the gradient shrinks as it travels backwards through a deep network.",
    "ReLU has slope one for positive inputs, so gradients do not shrink through many layers.",
    "Focal loss down-weights easy, well-classified examples so training focuses on hard ones.",
]


def test_valid_citations_are_kept_and_renumbered_by_first_use():
    report = verify_citations("ReLU keeps slope one for positive inputs [2]. The gradient shrinks backwards [1].",
                              PASSAGES)
    assert report.text == "ReLU keeps slope one for positive inputs [1]. The gradient shrinks backwards [2]."
    assert report.cited == (2, 1) and not report.flagged


def test_out_of_range_numbers_are_removed_without_leaving_a_gap():
    report = verify_citations("Deep networks shrink the gradient [1] [9]. Zero is not a passage [0].", PASSAGES)
    assert report.text == "Deep networks shrink the gradient [1]. Zero is not a passage."
    assert report.out_of_range == (9, 0) and report.removed == (0, 9)


def test_group_forms_are_split_and_deduplicated():
    report = verify_citations("The gradient shrinks with depth, unlike ReLU gradients [1, 2; 1, 5].", PASSAGES)
    assert report.text == "The gradient shrinks with depth, unlike ReLU gradients [1][2]."
    assert report.out_of_range == (5,)


def test_a_claim_sharing_nothing_with_its_passage_is_unsupported():
    text = ("Paris is the capital city of France and its largest metropolis [3]. "
            "Focal loss focuses training on hard examples [3].")
    report = verify_citations(text, PASSAGES)
    assert report.unsupported == (3,)
    assert report.text == ("Paris is the capital city of France and its largest metropolis. "
                           "Focal loss focuses training on hard examples [1].")


def test_short_claims_are_not_judged_on_support():
    assert verify_citations("Yes, exactly [3].", PASSAGES).cited == (3,)


def test_consecutive_groups_share_the_earlier_claim():
    report = verify_citations("The gradient shrinks through deep networks [1] [2].", PASSAGES)
    assert report.cited == (1, 2)


def test_markdown_links_and_brackets_are_left_alone():
    text = "See [the article](https://example.org) and the list [a, b] for gradients shrinking backwards [1]."
    assert verify_citations(text, PASSAGES).text == text
    rewriter = CitationRewriter(3)
    assert rewriter.feed(text) + rewriter.flush() == text


def test_strip_citations():
    assert strip_citations("Gradients shrink [1][2]. ReLU helps [3] .") == "Gradients shrink. ReLU helps."


TEXT = ("Gradients shrink backwards [2]. ReLU [3, 1] keeps slope one [9]. Brackets [x] stay; "
        "[1] again and [12] and [2][3].")


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(min_value=1, max_value=len(TEXT)), max_size=30))
def test_streaming_rewriter_gives_the_same_text_however_the_stream_is_cut(cuts):
    points = sorted(set(cuts))
    pieces = [TEXT[a:b] for a, b in zip([0, *points], [*points, len(TEXT)])]
    rewriter = CitationRewriter(3)
    streamed = "".join(rewriter.feed(p) for p in pieces) + rewriter.flush()
    whole = CitationRewriter(3)
    assert streamed == whole.feed(TEXT) + whole.flush()
    assert streamed == verify_citations(TEXT, ["x"] * 3, check_support=False).text
    assert "[9]" not in streamed and "[12]" not in streamed and "[x]" in streamed
