from pathlib import Path

from knowledge.chunking import MAX_CHUNK_WORDS, chunk_article, split_sentences
from knowledge.corpus import Article


def make_article(body: str) -> Article:
    return Article("demo", "Demo Title", 1, (), (), "", body, Path("demo.md"))


def test_sections_keep_their_heading_path_and_intro_is_overview():
    body = (
        "# Demo Title\n\nIntro paragraph about demos.\n\n"
        "## The math\n\nSome math here.\n\n"
        "## Frequently asked questions\n\n### Why is my loss NaN?\n\nBecause of exploding values.\n\n"
        "### Is ReLU differentiable?\n\nAlmost everywhere.\n"
    )
    chunks = chunk_article(make_article(body))
    assert [c.section for c in chunks] == [
        "Overview",
        "The math",
        "Frequently asked questions › Why is my loss NaN?",
        "Frequently asked questions › Is ReLU differentiable?",
    ]
    assert chunks[2].text == "Because of exploding values."
    assert chunks[2].embedding_text().startswith("Demo Title. Frequently asked questions › Why is my loss NaN?.")
    assert [c.id for c in chunks] == [0, 1, 2, 3]


def test_long_sections_are_split_below_the_model_window():
    paragraph = " ".join(f"word{i}." for i in range(90))
    body = "## Long\n\n" + "\n\n".join([paragraph] * 5)
    chunks = chunk_article(make_article(body))
    assert len(chunks) >= 3
    assert all(len(c.text.split()) <= MAX_CHUNK_WORDS for c in chunks)
    assert all(c.section == "Long" for c in chunks)
    assert sum(len(c.text.split()) for c in chunks) == 5 * 90


def test_a_single_huge_paragraph_is_split_at_sentences():
    sentences = [f"Sentence number {i} says something useful here." for i in range(80)]
    chunks = chunk_article(make_article("## S\n\n" + " ".join(sentences)))
    assert len(chunks) > 1
    assert all(len(c.text.split()) <= MAX_CHUNK_WORDS for c in chunks)


def test_headings_inside_code_blocks_are_not_sections():
    body = "## Try it\n\n```\n# not a heading\ntutor demo relu\n```\n"
    chunks = chunk_article(make_article(body))
    assert len(chunks) == 1 and "# not a heading" in chunks[0].text


def test_sentence_splitter_keeps_abbreviations_and_decimals():
    text = "The bound is 0.25 at x = 0. Use e.g. Xavier init, i.e. scaled weights. Done!"
    assert split_sentences(text) == [
        "The bound is 0.25 at x = 0.",
        "Use e.g. Xavier init, i.e. scaled weights.",
        "Done!",
    ]


def test_sentence_splitter_strips_markdown():
    assert split_sentences("**Bold claim.** Then `code` here.") == ["Bold claim.", "Then code here."]


def test_misconception_claims_are_framed_not_quoted_as_facts():
    text = '**"A larger gamma is always better."** Large gamma can ignore easy examples.'
    assert split_sentences(text) == [
        'A common misconception is "A larger gamma is always better."',
        "Large gamma can ignore easy examples.",
    ]
