"""/embeddings compare | neighbours | analogy: static GloVe vs contextual MiniLM word vectors."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from bot.commands.registry import Option, command
from bot.reply import Image, Reply, Table
from knowledge.embedder import Embedder, get_embedder
from tools.demo_inputs import EMBED_MAX_ANALOGY_CHARS as MAX_ANALOGY_CHARS
from tools.demo_inputs import EMBED_MAX_K as MAX_K
from tools.demo_inputs import EMBED_MAX_SENTENCE_CHARS as MAX_SENTENCE_CHARS
from tools.demo_inputs import EMBED_MIN_K as MIN_K
from tools.glove import MAX_WORD_CHARS

if TYPE_CHECKING:
    from bot.services import Services

MAX_TABLE_ROWS = 12


def _encoder(services: Services) -> Callable[[], Embedder]:
    """The knowledge base's sentence embedder, loaded only when the inputs are valid."""
    model_dir = getattr(getattr(services, "settings", None), "embedding_model_dir", None)
    return lambda: get_embedder(model_dir)


@command("embeddings compare",
         "One word in two sentences: static GloVe vector (identical) vs contextual MiniLM vectors (different)",
         Option("word", "The word to compare, e.g. bank", required=True, max_length=MAX_WORD_CHARS, cli="--word"),
         Option("sentence1", "First sentence containing the word", required=True, max_length=MAX_SENTENCE_CHARS,
                cli="--sentence"),
         Option("sentence2", "Second sentence containing the word", required=True, max_length=MAX_SENTENCE_CHARS,
                cli="--sentence"),
         example='/embeddings compare word:bank sentence1:"I sat on the river bank" '
                 'sentence2:"I deposited cash at the bank"', heavy=True, cli="demo embeddings")
def compare(services: Services, word: str, sentence1: str, sentence2: str) -> Reply:
    from tools.charts.embeddings import render_compare  # heavy (scikit-learn, matplotlib): imported in the worker
    from tools.embeddings import run_compare

    result = run_compare(word, sentence1, sentence2, _encoder(services))
    rows = (
        ("GloVe 6B-50d (static)", f"{result.static_cosine:.3f}", "one vector per word type"),
        ("MiniLM-L6 (contextual)", f"{result.contextual_cosine:.3f}", "one vector per occurrence"),
    )
    table = Table(("embedding", f"cosine: “{result.word}” in 1 vs 2", "why"), rows)
    alt = (f"PCA of GloVe neighbours of {result.word} and of its MiniLM token vectors in both sentences; "
           f"static cosine {result.static_cosine:.3f}, contextual {result.contextual_cosine:.3f}")
    return Reply(text=result.summary, title=f"Static vs contextual: “{result.word}”",
                 images=(Image(f"embeddings-{result.word}.png", render_compare(result), alt),),
                 tables=(table,), data=result.to_dict())


@command("embeddings neighbours", "The nearest GloVe words to a word, by cosine similarity",
         Option("word", "A single English word, e.g. bank", required=True, max_length=MAX_WORD_CHARS,
                rest_of_line=True, cli="--neighbours"),
         Option("k", f"How many neighbours ({MIN_K}-{MAX_K})", type=int, default=10, min_value=MIN_K, max_value=MAX_K),
         example="/embeddings neighbours word:python k:10", heavy=True, cli="demo embeddings")
def neighbours(services: Services, word: str, k: int = 10) -> Reply:
    from tools.charts.embeddings import render_neighbours  # heavy (scikit-learn, matplotlib): imported in the worker
    from tools.embeddings import run_neighbours

    result = run_neighbours(word, k)
    rows = tuple((w, f"{c:.3f}") for w, c in result.neighbours[:MAX_TABLE_ROWS])
    title = "" if k <= MAX_TABLE_ROWS else f"top {MAX_TABLE_ROWS} of {len(result.neighbours)} (all in --json)"
    return Reply(text=result.summary, title=f"GloVe neighbours of “{result.word}”",
                 images=(Image(f"neighbours-{result.word}.png", render_neighbours(result),
                               f"Bar chart of the {len(result.neighbours)} nearest GloVe words to {result.word}"),),
                 tables=(Table(("word", "cosine"), rows, title),), data=result.to_dict())


@command("embeddings analogy", 'Word arithmetic with GloVe: "a - b + c", e.g. king - man + woman',
         Option("expression", 'The analogy, in the form "a - b + c"', required=True, max_length=MAX_ANALOGY_CHARS,
                rest_of_line=True, cli="--analogy"),
         example="/embeddings analogy king - man + woman", heavy=True, cli="demo embeddings")
def analogy(services: Services, expression: str) -> Reply:
    from tools.charts.embeddings import render_analogy  # heavy (scikit-learn, matplotlib): imported in the worker
    from tools.embeddings import run_analogy

    result = run_analogy(expression)
    rows = tuple((w, f"{c:.3f}") for w, c in result.results[:MAX_TABLE_ROWS])
    return Reply(text=result.summary, title=f"Analogy: {result.expression}",
                 images=(Image("analogy.png", render_analogy(result),
                               f"Bar chart of the nearest words to {result.expression}"),),
                 tables=(Table(("word", "cosine"), rows),), data=result.to_dict())
