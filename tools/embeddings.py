"""Static (GloVe) vs contextual (MiniLM) word embeddings: compare, neighbours, analogy.

* :func:`run_compare` — one word in two sentences. GloVe has one vector per word type, so the two
  occurrences are identical (cosine exactly 1). MiniLM (all-MiniLM-L6-v2, the transformer the
  knowledge base already uses) gives every *token* a vector built from the whole sentence; the
  word's vector is the mean of its word-piece vectors from the last layer.
* :func:`run_neighbours` — the k most cosine-similar GloVe words.
* :func:`run_analogy` — "a - b + c" by vector arithmetic on unit GloVe vectors (3CosAdd),
  answers exclude the three input words.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
from sklearn.decomposition import PCA

from tools.demo_inputs import EMBED_MAX_ANALOGY_CHARS, EMBED_MAX_K, EMBED_MAX_SENTENCE_CHARS, EMBED_MIN_K
from tools.errors import UserInputError
from tools.glove import GloveVectors, check_word, load_glove, lookup


class TokenEncoder(Protocol):
    """A sentence-transformers model wrapper (``knowledge.embedder.Embedder``): its ``model``
    gives token vectors; an optional ``_lock`` serializes calls into it."""

    model: Any

log = logging.getLogger(__name__)

MAX_SENTENCE_CHARS = EMBED_MAX_SENTENCE_CHARS
MIN_K, MAX_K = EMBED_MIN_K, EMBED_MAX_K
ANALOGY_RESULTS = 10
MAX_ANALOGY_CHARS = EMBED_MAX_ANALOGY_CHARS
GLOVE_NEIGHBOURS_SHOWN = 10
GLOVE_CONTEXT_WORDS_SHOWN = 4  # per sentence, in the GloVe panel
CONTEXT_WORDS_SHOWN = 6  # per sentence, in the MiniLM panel
ANALOGY_FORM = 'the form "a - b + c", e.g. "king - man + woman"'

STOPWORDS = frozenset("""
a an the and or but if of at by for with about against between into through during before after above below to
from up down in out on off over under again further then once here there when where why how all any both each few
more most other some such no nor not only own same so than too very s t can will just don should now i me my
myself we our ours you your he him his she her it its they them their what which who whom this that these those
am is are was were be been being have has had having do does did doing would could might must shall may
""".split())
_WORD = re.compile(r"\w+(?:['’-]\w+)*")


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    """Cosine similarity; identical non-zero vectors give exactly 1.0 (no rounding wobble)."""
    a64, b64 = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    na, nb = np.linalg.norm(a64), np.linalg.norm(b64)
    if na == 0 or nb == 0:
        return 0.0
    if np.array_equal(a64, b64):
        return 1.0
    return float(np.clip(a64 @ b64 / (na * nb), -1.0, 1.0))


# --------------------------------------------------------------------------- neighbours / analogy

@dataclass(frozen=True)
class NeighboursResult:
    word: str
    neighbours: tuple[tuple[str, float], ...]
    summary: str

    def to_dict(self) -> dict[str, Any]:
        return {"word": self.word, "neighbours": [{"word": w, "cosine": c} for w, c in self.neighbours],
                "summary": self.summary}


@dataclass(frozen=True)
class AnalogyResult:
    a: str
    b: str
    c: str
    results: tuple[tuple[str, float], ...]
    summary: str

    @property
    def expression(self) -> str:
        return f"{self.a} - {self.b} + {self.c}"

    def to_dict(self) -> dict[str, Any]:
        return {"expression": self.expression, "results": [{"word": w, "cosine": c} for w, c in self.results],
                "summary": self.summary}


def check_k(k: int) -> int:
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not MIN_K <= k <= MAX_K:
        raise UserInputError(f"k must be a whole number from {MIN_K} to {MAX_K} (got {k!r})")
    return int(k)


def run_neighbours(word: str, k: int = 10, glove: GloveVectors | None = None) -> NeighboursResult:
    """The ``k`` nearest GloVe words to ``word`` by cosine (the word itself excluded)."""
    k = check_k(k)
    g = glove or load_glove()
    w = lookup(g, word)
    found = tuple(g.nearest(g.unit(w), k, exclude={w}))
    top = ", ".join(f"{n} ({c:.2f})" for n, c in found[:5])
    summary = (f"The {len(found)} GloVe words closest to **{w}** by cosine similarity: {top}"
               f"{', …' if len(found) > 5 else ''}. GloVe learns one vector per word from co-occurrence counts, "
               "so its neighbours reflect every context it appeared in, weighted by how common each use is "
               "(cosine 1 = same direction, 0 = unrelated).")
    return NeighboursResult(w, found, summary)


def parse_analogy(expression: str) -> tuple[str, str, str]:
    if not isinstance(expression, str) or not expression.strip():
        raise UserInputError(f"the analogy is empty; expected {ANALOGY_FORM}")
    if len(expression) > MAX_ANALOGY_CHARS:
        raise UserInputError(f"the analogy is too long ({len(expression)} characters); expected {ANALOGY_FORM}")
    m = re.fullmatch(r"\s*(\S+?)\s*-\s*(\S+?)\s*\+\s*(\S+?)\s*", expression)
    if not m or any(op in part for part in m.groups() for op in "+"):
        raise UserInputError(f"cannot read the analogy {expression.strip()[:60]!r}; expected {ANALOGY_FORM}")
    return m.group(1), m.group(2), m.group(3)


def run_analogy(expression: str, glove: GloveVectors | None = None) -> AnalogyResult:
    """"a - b + c": nearest words to unit(a) - unit(b) + unit(c), inputs excluded."""
    g = glove or load_glove()
    a, b, c = (lookup(g, w, what) for w, what in zip(parse_analogy(expression), ("first word", "second word",
                                                                                   "third word")))
    query = g.unit(a) - g.unit(b) + g.unit(c)
    found = tuple(g.nearest(query, ANALOGY_RESULTS, exclude={a, b, c}))
    if not found:
        raise UserInputError(f"{a} - {b} + {c} cancels out to a zero vector; expected {ANALOGY_FORM} "
                             "with different words")
    best, score = found[0]
    summary = (f"**{a} - {b} + {c} ≈ {best}** (cosine {score:.3f}). The vector from *{b}* to *{a}* is added to "
               f"*{c}*; runners-up: {', '.join(w for w, _ in found[1:5])}. Analogies work when a relation "
               "(gender, capital-of, tense) is a roughly constant offset in GloVe's space, which it often but "
               "not always is.")
    return AnalogyResult(a, b, c, found, summary)


# --------------------------------------------------------------------------- static vs contextual

@dataclass(frozen=True)
class PlotPoint:
    text: str
    group: str  # "word", "neighbour", "sentence1", "sentence2", "no-context"
    x: float
    y: float


@dataclass(frozen=True)
class CompareResult:
    word: str
    sentences: tuple[str, str]
    spans: tuple[tuple[int, int], tuple[int, int]]
    static_cosine: float
    contextual_cosine: float
    isolated_cosines: tuple[float, float]  # each occurrence vs the word encoded with no context
    closest_context: tuple[str | None, str | None]  # nearest other word (MiniLM) in each sentence
    glove_neighbours: tuple[tuple[str, float], ...]
    glove_points: tuple[PlotPoint, ...]
    glove_explained: tuple[float, float]
    context_points: tuple[PlotPoint, ...]
    context_explained: tuple[float, float]
    summary: str

    def to_dict(self) -> dict[str, Any]:
        return {"static_cosine": self.static_cosine, "contextual_cosine": self.contextual_cosine,
                "summary": self.summary}


def _check_sentence(sentence: str, n: int) -> str:
    form = f"a sentence of 1-{MAX_SENTENCE_CHARS} characters that contains the word"
    if not isinstance(sentence, str) or not sentence.strip():
        raise UserInputError(f"sentence {n} is empty; expected {form}")
    s = sentence.strip()
    if len(s) > MAX_SENTENCE_CHARS:
        raise UserInputError(f"sentence {n} is {len(s):,} characters; expected {form}")
    return s


def _find(word: str, sentence: str, n: int) -> tuple[int, int]:
    m = re.search(rf"(?<!\w){re.escape(word)}(?!\w)", sentence, flags=re.IGNORECASE)
    if not m:
        shown = sentence if len(sentence) <= 60 else sentence[:57] + "..."
        raise UserInputError(f"the word {word!r} does not appear in sentence {n} ({shown!r}); expected a sentence "
                             "containing it as a whole word (any case)")
    return m.span()


def _words(sentence: str) -> list[tuple[str, int, int]]:
    return [(m.group(0), m.start(), m.end()) for m in _WORD.finditer(sentence)]


def _token_vectors(embedder: TokenEncoder, texts: list[str]) -> list[tuple[np.ndarray, list[tuple[int, int]]]]:
    """Last-layer token vectors and character offsets for each text (one batched forward pass)."""
    model = embedder.model
    lock = getattr(embedder, "_lock", None) or nullcontext()  # the embedder serializes model calls
    with lock:
        outputs = model.encode(texts, output_value="token_embeddings", convert_to_numpy=False,
                               show_progress_bar=False, batch_size=len(texts))
        encoded = model.tokenizer(texts, return_offsets_mapping=True, truncation=True,
                                  max_length=model.max_seq_length)
    result = []
    for out, offsets in zip(outputs, encoded["offset_mapping"]):
        vecs = out.detach().cpu().float().numpy() if hasattr(out, "detach") else np.asarray(out, dtype=np.float32)
        if len(vecs) != len(offsets):
            raise RuntimeError(f"token count mismatch: {len(vecs)} vectors vs {len(offsets)} offsets")
        result.append((vecs, [tuple(o) for o in offsets]))
    return result


def _span_vector(vecs: np.ndarray, offsets: list[tuple[int, int]], start: int, end: int) -> np.ndarray | None:
    """Mean of the word pieces overlapping characters [start, end) (special tokens have empty offsets)."""
    idx = [i for i, (a, b) in enumerate(offsets) if b > a and a < end and b > start]
    return vecs[idx].mean(axis=0) if idx else None


def _pca(vectors: np.ndarray, seed: int = 0) -> tuple[np.ndarray, tuple[float, float]]:
    unit = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    pca = PCA(n_components=2, random_state=seed).fit(unit)
    coords = pca.transform(unit)
    return coords, (float(pca.explained_variance_ratio_[0]), float(pca.explained_variance_ratio_[1]))


def run_compare(word: str, sentence1: str, sentence2: str, load_encoder: Callable[[], TokenEncoder],
                glove: GloveVectors | None = None) -> CompareResult:
    """The same word in two sentences: GloVe cosine (always 1) vs MiniLM contextual cosine.

    Inputs are validated before ``load_encoder()`` loads the model (the caller supplies it: the
    demo command passes the knowledge base's embedder).
    """
    w = check_word(word)
    sentences = (_check_sentence(sentence1, 1), _check_sentence(sentence2, 2))
    spans = (_find(w, sentences[0], 1), _find(w, sentences[1], 2))
    g = glove or load_glove()
    key = lookup(g, w)
    embedder = load_encoder()

    # ---- static: one vector per word type, whatever the sentence
    static_vecs = [g.unit(key), g.unit(key)]  # the lookup is the same for both occurrences
    static_cos = cosine(*static_vecs)
    neighbours = tuple(g.nearest(static_vecs[0], GLOVE_NEIGHBOURS_SHOWN, exclude={key}))

    # ---- contextual: the word's word pieces in each sentence, plus the word alone
    bare = sentences[0][spans[0][0]:spans[0][1]]
    (v1, o1), (v2, o2), (v0, o0) = _token_vectors(embedder, [sentences[0], sentences[1], bare])
    occ = []
    for n, (vecs, offs, (start, end)) in enumerate(((v1, o1, spans[0]), (v2, o2, spans[1])), 1):
        vec = _span_vector(vecs, offs, start, end)
        if vec is None:
            raise UserInputError(f"sentence {n} is too long for the model to reach {w!r} (more than "
                                 f"{embedder.model.max_seq_length} word pieces); expected a shorter sentence")
        occ.append(vec)
    isolated = _span_vector(v0, o0, 0, len(bare))
    ctx_cos = cosine(occ[0], occ[1])
    iso_cos = (cosine(isolated, occ[0]), cosine(isolated, occ[1])) if isolated is not None else (float("nan"),) * 2

    # other content words of each sentence, for the pictures
    def content(sentence: str, span: tuple[int, int]) -> list[tuple[str, int, int]]:
        seen: set[str] = set()
        out = []
        for text, a, b in _words(sentence):
            low = text.lower()
            if (a, b) == span or low == key or low in STOPWORDS or low in seen or low.isdigit():
                continue
            seen.add(low)
            out.append((text, a, b))
        return out

    ctx_points_raw: list[tuple[str, str, np.ndarray]] = []
    closest: list[str | None] = []
    for n, (vecs, offs, sentence, span, target) in enumerate(
            ((v1, o1, sentences[0], spans[0], occ[0]), (v2, o2, sentences[1], spans[1], occ[1])), 1):
        scored = []
        for text, a, b in content(sentence, span):
            vec = _span_vector(vecs, offs, a, b)
            if vec is not None:
                scored.append((cosine(vec, target), text, vec))
        scored.sort(key=lambda t: -t[0])
        closest.append(scored[0][1] if scored else None)
        ctx_points_raw += [(text, f"sentence{n}", vec) for _, text, vec in scored[:CONTEXT_WORDS_SHOWN]]
    ctx_points_raw += [(f"{key} (sentence 1)", "word1", occ[0]), (f"{key} (sentence 2)", "word2", occ[1])]
    if isolated is not None:
        ctx_points_raw.append((f"{key} (no context)", "no-context", isolated))
    coords, ctx_explained = _pca(np.stack([v for _, _, v in ctx_points_raw]))
    context_points = tuple(PlotPoint(t, grp, float(x), float(y)) for (t, grp, _), (x, y) in zip(ctx_points_raw, coords))

    glove_raw: list[tuple[str, str, np.ndarray]] = [(key, "word", static_vecs[0])]
    glove_raw += [(n, "neighbour", g.unit(n)) for n, _ in neighbours]
    shown = {key} | {n for n, _ in neighbours}
    for n, (sentence, span) in enumerate(zip(sentences, spans), 1):
        added = 0
        for text, _, _ in content(sentence, span):
            low = text.lower()
            if low in g.index and low not in shown and added < GLOVE_CONTEXT_WORDS_SHOWN:
                glove_raw.append((low, f"sentence{n}", g.unit(low)))
                shown.add(low)
                added += 1
    g_coords, g_explained = _pca(np.stack([v for _, _, v in glove_raw]))
    glove_points = tuple(PlotPoint(t, grp, float(x), float(y)) for (t, grp, _), (x, y) in zip(glove_raw, g_coords))

    summary = _compare_summary(key, static_cos, ctx_cos, neighbours, tuple(closest))
    log.debug("compare %r: static %.3f contextual %.3f", key, static_cos, ctx_cos)
    return CompareResult(key, sentences, spans, static_cos, ctx_cos, iso_cos, tuple(closest), neighbours,
                         glove_points, g_explained, context_points, ctx_explained, summary)


def _compare_summary(word: str, static_cos: float, ctx_cos: float, neighbours: tuple[tuple[str, float], ...],
                     closest: tuple[str | None, str | None]) -> str:
    near = ", ".join(n for n, _ in neighbours[:4])
    parts = [f"GloVe stores one vector for **{word}**, so its two occurrences have cosine **{static_cos:.3f}**: "
             f"a static embedding cannot tell the contexts apart (its nearest GloVe words, {near}, reflect "
             "whichever uses dominated the training text).",
             f"MiniLM builds each token's vector from the whole sentence, so the two **{word}** vectors have "
             f"cosine **{ctx_cos:.3f}**."]
    if ctx_cos < 0.8:
        parts.append("That is a big shift: the model treats the two uses as quite different (often different senses).")
    elif ctx_cos < 0.9:
        parts.append("A moderate shift: the context changes the vector noticeably.")
    else:
        parts.append("Only a small shift: the model sees the two uses as nearly the same.")
    if closest[0] and closest[1]:
        parts.append(f"In context, the word's vector sits closest to *{closest[0]}* in sentence 1 and to "
                     f"*{closest[1]}* in sentence 2.")
    return " ".join(parts)
