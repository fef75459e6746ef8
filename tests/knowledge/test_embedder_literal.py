"""The tokenizer's own markers in a question are read as words, not as sequence boundaries."""

from __future__ import annotations


def test_a_special_token_in_the_text_does_not_end_the_sequence(embedder):
    bracketed, spelled, truncated = embedder.encode(["what is [SEP] for", "what is the SEP token for", "what is for"])
    # Fed raw, "[SEP]" is token 102 and the model reads only "what is": the vector is the
    # truncated sentence's. Spelled as a word it keeps its meaning.
    assert float(bracketed @ spelled) > 0.7
    assert float(bracketed @ spelled) > float(bracketed @ truncated)
    assert embedder.literal("[CLS] and [MASK]").split() == ["CLS", "and", "MASK"]

