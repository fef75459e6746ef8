"""The platform-neutral answer every command returns and every front end renders.

A :class:`Reply` carries text, citations, images and tables; Discord turns it into embeds and
attachments, the console into rich panels, the CLI into text or JSON (``data``). Commands never
format for a particular platform.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Source:
    """A passage an answer relied on: which article and which section."""

    topic: str
    title: str
    section: str

    def label(self) -> str:
        return f"{self.title} — {self.section}" if self.section else self.title

    def as_dict(self) -> dict[str, str]:
        return {"topic": self.topic, "title": self.title, "section": self.section}


@dataclass(frozen=True)
class Image:
    """A PNG to attach; ``filename`` is what Discord shows and ``attachment://`` refers to."""

    filename: str
    png: bytes
    description: str = ""


@dataclass(frozen=True)
class Table:
    """A small table of already formatted cells (front ends only lay it out)."""

    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    title: str = ""


@dataclass(frozen=True)
class Action:
    """A button the user can press; pressing it runs the action command ``command`` with
    ``payload`` (see :func:`bot.commands.registry.run_action`). ``payload`` is short text
    (at most 80 characters of ``[A-Za-z0-9_.:-]``) because chat platforms carry it in the
    button's id, which survives restarts."""

    label: str
    command: str
    payload: str
    style: str = "secondary"  # primary | secondary | success | danger
    key: str = ""  # a one-letter shortcut for terminals ("h" for a hint); keyed actions are not answers


@dataclass(frozen=True)
class Reply:
    """What a command produced.

    ``data`` is the machine-readable form (the CLI's ``--json`` output); ``passages`` holds the
    full retrieved passages for a "show passages" view; ``ephemeral`` asks chat front ends to
    show it only to the caller (errors, help); ``notice`` marks a one-line acknowledgement
    ("Thanks for the feedback!") that chat front ends send as a plain message, not a card.
    """

    text: str
    title: str = ""
    sources: tuple[Source, ...] = ()
    images: tuple[Image, ...] = ()
    tables: tuple[Table, ...] = ()
    passages: tuple[str, ...] = ()
    data: Any = None
    ephemeral: bool = False
    is_error: bool = False
    answer_id: str | None = None
    actions: tuple[Action, ...] = ()
    notice: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def error(cls, message: str) -> "Reply":
        return cls(text=message, title="Error", ephemeral=True, is_error=True)
