"""Shared by the benchmarks: typical student questions and a percentile helper."""

from __future__ import annotations

QUESTIONS = [
    "why does my 20-layer sigmoid net stop learning?",
    "batch norm at inference time",
    "dying relu",
    "what does gamma do in focal loss",
    "otsu threshold",
    "precision vs recall for cancer screening",
    "do i need to scale features for gradient descent",
    "odds ratio from a logistic regression coefficient",
    "random search vs grid search",
    "why is bank different in bert but not word2vec",
]


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (``q`` in 0..1) of a non-empty list."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]
