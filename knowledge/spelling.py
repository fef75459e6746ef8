"""Fix obvious typos in domain words ("vanshing gradiant" → "vanishing gradient").

A word is only corrected when it is unknown both to our articles and to the embedding model's
English vocabulary (so real words are never "fixed"), and when a close article word exists.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from pathlib import Path

_WORD = re.compile(r"[A-Za-z]{4,}")
MIN_WORD_CHARS = 5
SIMILARITY_CUTOFF = 0.8


def load_wordpiece_vocab(model_dir: Path) -> set[str]:
    """Whole words of a BERT WordPiece vocabulary (no ``##`` pieces, no [special] tokens)."""
    path = model_dir / "vocab.txt"
    if not path.exists():
        return set()
    words = path.read_text(encoding="utf-8").split()
    return {w for w in words if w.isalpha() and not w.startswith("##")}


class SpellFixer:
    def __init__(self, domain_texts: Iterable[str], known_words: set[str]) -> None:
        self.domain = {w.lower() for text in domain_texts for w in _WORD.findall(text)}
        self.known = {w.lower() for w in known_words} | self.domain
        self._by_initial: dict[str, list[str]] = {}
        for word in sorted(self.domain):
            self._by_initial.setdefault(word[0], []).append(word)

    def correct(self, text: str) -> str:
        def fix(match: re.Match[str]) -> str:
            word = match.group(0)
            low = word.lower()
            if len(low) < MIN_WORD_CHARS or low in self.known:
                return word
            pool = self._by_initial.get(low[0], [])
            close = difflib.get_close_matches(low, pool, n=1, cutoff=SIMILARITY_CUTOFF)
            return close[0] if close else word

        return _WORD.sub(fix, text)
