"""Shortening text for a message, a label or a prompt: one rule everywhere, "…" marks the cut."""

from __future__ import annotations

ELLIPSIS = "…"


def clip(text: str | None, limit: int) -> str:
    """``text`` if it fits in ``limit`` characters, else its first ``limit - 1`` (trailing space
    dropped) and "…"."""
    text = text or ""
    return text if len(text) <= limit else text[: max(0, limit - 1)].rstrip() + ELLIPSIS


def clip_words(text: str | None, limit: int) -> str:
    """Whitespace folded to single spaces, then cut at a word boundary to fit ``limit``."""
    folded = " ".join((text or "").split())
    if len(folded) <= limit:
        return folded
    return folded[: max(0, limit - 1)].rsplit(" ", 1)[0] + ELLIPSIS
