"""BM25 keyword search over the passages (bm25s, English stemming and stop words).

Dense embeddings miss exact terms students type ("CLAHE", "Otsu", "GELU", "F1"); BM25 catches
them. The BM25 index is rebuilt in memory from the passages at load time (milliseconds for a
few hundred passages), so it can never disagree with the stored dense index.
"""

from __future__ import annotations

import bm25s
import numpy as np
import Stemmer
from bm25s.tokenization import Tokenizer


class KeywordIndex:
    def __init__(self, texts: list[str]) -> None:
        self._tokenizer = Tokenizer(stemmer=Stemmer.Stemmer("english"), stopwords="en", lower=True)
        corpus_ids = self._tokenizer.tokenize(texts, return_as="ids", show_progress=False)
        self._bm25 = bm25s.BM25()
        self._bm25.index(corpus_ids, show_progress=False)
        self.size = len(texts)

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every passage for ``query`` (zeros when no query term is known)."""
        ids = self._tokenizer.tokenize([query], update_vocab=False, return_as="ids", show_progress=False)[0]
        known = [i for i in ids if i != 0] if ids else []
        if not known:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self._bm25.get_scores(known), dtype=np.float32)
