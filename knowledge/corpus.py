"""Load the Markdown articles (YAML front matter + body) that are the bot's only knowledge."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import yaml

ARTICLES_DIR = Path(__file__).resolve().parent / "articles"
UNCOVERED_FILE = Path(__file__).resolve().parent / "data" / "uncovered_topics.txt"
REQUIRED_KEYS = ("slug", "title", "order", "prereqs", "tools")


class CorpusError(RuntimeError):
    """An article is malformed: a maintainer problem, not a user one."""


@dataclass(frozen=True)
class Article:
    slug: str
    title: str
    order: int
    prereqs: tuple[str, ...]
    tools: tuple[str, ...]
    summary: str
    body: str
    path: Path


def parse_article(path: Path) -> Article:
    raw = path.read_text(encoding="utf-8")
    if not raw.startswith("---"):
        raise CorpusError(f"{path.name}: missing YAML front matter")
    try:
        _, front, body = raw.split("---", 2)
        meta = yaml.safe_load(front) or {}
    except (ValueError, yaml.YAMLError) as exc:
        raise CorpusError(f"{path.name}: unreadable front matter ({exc})") from exc
    missing = [k for k in REQUIRED_KEYS if k not in meta]
    if missing:
        raise CorpusError(f"{path.name}: front matter lacks {', '.join(missing)}")
    if meta["slug"] != path.stem:
        raise CorpusError(f"{path.name}: slug {meta['slug']!r} does not match the file name")
    return Article(
        slug=str(meta["slug"]),
        title=str(meta["title"]),
        order=int(meta["order"]),
        prereqs=tuple(meta.get("prereqs") or ()),
        tools=tuple(meta.get("tools") or ()),
        summary=str(meta.get("summary", "")).strip(),
        body=body.strip(),
        path=path,
    )


def load_articles(articles_dir: Path = ARTICLES_DIR) -> list[Article]:
    """All articles, in curriculum order."""
    paths = sorted(articles_dir.glob("*.md"))
    if not paths:
        raise CorpusError(f"no articles found in {articles_dir}")
    return sorted((parse_article(p) for p in paths), key=lambda a: (a.order, a.slug))


def load_uncovered(path: Path = UNCOVERED_FILE) -> list[str]:
    """Subjects we know we have no article on (one per line, ``#`` comments)."""
    if not path.exists():
        return []
    lines = (line.strip() for line in path.read_text(encoding="utf-8").splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def corpus_hash(articles_dir: Path = ARTICLES_DIR) -> str:
    """Content hash of every article file and of the uncovered-subjects list: the index is
    stale when either changes."""
    digest = hashlib.sha256()
    if UNCOVERED_FILE.exists():
        digest.update(UNCOVERED_FILE.read_bytes())
    for path in sorted(articles_dir.glob("*.md")):
        digest.update(path.name.encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()
