"""Turn what a student typed ("bn", "batch norm", "word2vec", "relu") into an article."""

from __future__ import annotations

import difflib
import re

from knowledge.corpus import Article
from tools.errors import UserInputError

ROADMAP = ("vanishing-gradient", "batch-normalization", "relu", "internal-covariate-shift")

ALIASES: dict[str, str] = {
    "vanishing": "vanishing-gradient",
    "vanishing-gradients": "vanishing-gradient",
    "exploding-gradient": "vanishing-gradient",
    "gradients": "vanishing-gradient",
    "bn": "batch-normalization",
    "batchnorm": "batch-normalization",
    "batch-norm": "batch-normalization",
    "batch-normalisation": "batch-normalization",
    "leaky-relu": "relu",
    "activations": "relu",
    "ics": "internal-covariate-shift",
    "covariate-shift": "internal-covariate-shift",
    "logistic": "logistic-regression",
    "logreg": "logistic-regression",
    "log-loss": "logistic-regression",
    "odds-ratio": "logistic-regression",
    "scaling": "feature-scaling",
    "standardization": "feature-scaling",
    "normalization": "feature-scaling",
    "precision": "precision-recall",
    "recall": "precision-recall",
    "confusion-matrix": "precision-recall",
    "f1": "precision-recall",
    "focal": "focal-loss",
    "images": "image-processing",
    "image": "image-processing",
    "clahe": "image-processing",
    "augmentation": "image-processing",
    "tuning": "hyperparameter-tuning",
    "hyperparameters": "hyperparameter-tuning",
    "optuna": "hyperparameter-tuning",
    "grid-search": "hyperparameter-tuning",
    "word2vec": "word2vec-vs-bert",
    "bert": "word2vec-vs-bert",
    "embeddings": "word2vec-vs-bert",
    "glove": "word2vec-vs-bert",
}


def _key(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.strip().lower()).strip("-")


def resolve_topic(articles: list[Article], text: str) -> Article:
    """The article ``text`` names (slug, title, alias or a near spelling of one)."""
    by_slug = {a.slug: a for a in articles}
    key = _key(text or "")
    if not key:
        raise UserInputError(f"missing topic: use one of {', '.join(by_slug)}")
    names: dict[str, str] = {slug: slug for slug in by_slug}
    names.update({_key(a.title): a.slug for a in articles})
    names.update({alias: slug for alias, slug in ALIASES.items() if slug in by_slug})
    if key in names:
        return by_slug[names[key]]
    close = difflib.get_close_matches(key, list(names), n=1, cutoff=0.75)
    if close:
        return by_slug[names[close[0]]]
    raise UserInputError(f"unknown topic {text.strip()[:60]!r}: use one of {', '.join(by_slug)}")


def suggest_topics(articles: list[Article], prefix: str, limit: int = 25) -> list[Article]:
    """Articles matching a partial name, for autocomplete (best first)."""
    key = _key(prefix or "")
    if not key:
        return articles[:limit]
    scored = []
    for article in articles:
        hay = f"{article.slug} {_key(article.title)}"
        if key in hay:
            scored.append((0, article.order, article))
        elif difflib.SequenceMatcher(None, key, article.slug).ratio() > 0.5:
            scored.append((1, article.order, article))
    return [a for *_, a in sorted(scored, key=lambda t: (t[0], t[1]))][:limit]
