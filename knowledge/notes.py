"""Server notes: knowledge a server's trusted members add, searchable at once, per guild.

SQLite (``notes.db``, WAL, foreign keys, the migrations in ``knowledge/migrations/``) is the source of truth. Each
guild has its own dense index, a FAISS ``IndexIDMap2(IndexFlatIP)`` whose ids encode
``note_id << PART_BITS | part`` (a note is split into passages like an article), saved
atomically (temp file + fsync + ``os.replace``) after every change, and a BM25 index rebuilt in
memory when the guild's notes change. Adding a note embeds only its passages and adds them to
the guild's index (no restart, no full rebuild); removing it drops its ids.

Crash safety: a note is committed to SQLite first, then added to the index, then the index file
is replaced. A process killed anywhere in between leaves SQLite and the FAISS file out of step;
:meth:`NoteStore.open` compares every guild's FAISS ids with what SQLite says they should be,
re-embeds what is missing and drops what is stale, then saves the repaired index.

Guild ``None`` (the console and the CLI) is stored as guild 0, "the local server". One guild's
notes are only ever searched for that guild.

Writes stay off the read path: a note is embedded before any lock is taken (in the embedder's
background mode, beside searches rather than before them); each guild has its own write lock,
so an upload in one server never waits for another's; and a change builds a new index (a copy
of the old one plus or minus the note's vectors) that replaces the guild's snapshot in one
assignment. A search takes no lock at all: it reads the snapshot that is current when it
starts, whose index no thread ever changes again.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import logging
import os
import re
import sqlite3
import tempfile
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import faiss
import numpy as np

from knowledge.chunking import MAX_CHUNK_WORDS, Chunk, _pack, split_sentences
from knowledge.embedder import EMBEDDING_DIM
from knowledge.index_store import fsync_dir
from tools.errors import UserInputError
from tools.migrations import DatabaseHandle, open_database

if TYPE_CHECKING:
    from knowledge.embedder import Embedder

log = logging.getLogger(__name__)

MAX_NOTE_BYTES = 50 * 1024
MAX_NOTES_PER_GUILD = 200
MAX_TITLE_CHARS = 100
MAX_TOPIC_CHARS = 60
LOCAL_GUILD = 0
PART_BITS = 16
NOTE_TOPIC = "server-note"  # Source.topic of a note without a topic slug
SENTENCE_CACHE = 4096
_HEADING_LINE = re.compile(r"(?m)^\s{0,3}#{1,6}\s+(.*?)[\s#]*$")

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"  # notes.db: notes, then the gap log


def guild_key(guild_id: int | None) -> int:
    return LOCAL_GUILD if guild_id is None else int(guild_id)


def _adopt_user_version(db: sqlite3.Connection) -> int:
    """Files from before versioned migration files counted their migrations in ``user_version``."""
    return int(db.execute("PRAGMA user_version").fetchone()[0])


def open_notes_db(path: Path) -> DatabaseHandle:
    """This process's connection to ``notes.db`` (shared by the notes and the gap log), migrated."""
    return open_database(Path(path), MIGRATIONS_DIR, adopt=_adopt_user_version)


@dataclass(frozen=True)
class Note:
    id: int
    guild_id: int
    title: str
    topic: str | None
    text: str
    author_id: int | None
    author_name: str
    created: float
    sha256: str

    def as_dict(self, with_text: bool = False) -> dict[str, object]:
        data: dict[str, object] = {
            "id": self.id, "title": self.title, "topic": self.topic, "author": self.author_name,
            "created": round(self.created, 3), "bytes": len(self.text.encode()), "sha256": self.sha256,
        }
        if with_text:
            data["text"] = self.text
        return data


@dataclass(frozen=True)
class NoteChunk(Chunk):
    """One passage of a server note; ``title`` is what citations show."""

    note_id: int = 0
    note_title: str = ""
    author: str = ""

    def embedding_text(self) -> str:
        return f"{self.note_title}. {self.text}"


def citation_title(title: str, author: str) -> str:
    return f"Server note: {title} (by {author or 'unknown'})"


def note_passages(text: str) -> list[str]:
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]
    return _pack(paragraphs, MAX_CHUNK_WORDS) or [text.strip()]


def note_chunks(note: Note) -> dict[int, NoteChunk]:
    """The note's passages keyed by FAISS id (deterministic from the text)."""
    label = citation_title(note.title, note.author_name)
    out: dict[int, NoteChunk] = {}
    for part, piece in enumerate(note_passages(note.text)):
        fid = (note.id << PART_BITS) | part
        out[fid] = NoteChunk(id=-fid, topic=note.topic or NOTE_TOPIC, title=label, section="", text=piece,
                             note_id=note.id, note_title=note.title, author=note.author_name)
    return out


# ------------------------------------------------------------------------- validation
def clean_title(title: str) -> str:
    title = " ".join((title or "").split())
    if not title:
        raise UserInputError("a note needs a title (up to 100 characters)")
    if len(title) > MAX_TITLE_CHARS:
        raise UserInputError(f"the title is {len(title)} characters; the limit is {MAX_TITLE_CHARS}")
    return title


def clean_text(data: bytes | str, name: str = "the note") -> str:
    """UTF-8 text of at most 50 KB, not empty, not binary; one-line UserInputError otherwise."""
    raw = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    if len(raw) > MAX_NOTE_BYTES:
        raise UserInputError(f"{name} is {len(raw) / 1024:.1f} KB; the limit is 50 KB of text")
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    if b"\x00" in raw:
        raise UserInputError(f"{name} looks binary; notes must be UTF-8 text (Markdown or plain text)")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise UserInputError(f"{name} is not UTF-8 text; notes must be Markdown or plain text") from None
    control = sum(1 for ch in text if ord(ch) < 32 and ch not in "\n\r\t\f")
    if control > max(2, len(text) // 100):
        raise UserInputError(f"{name} looks binary; notes must be UTF-8 text (Markdown or plain text)")
    text = text.replace("\r\n", "\n").replace("\r", "\n").strip()
    if not text:
        raise UserInputError(f"{name} is empty; write the answer as text or attach a .md/.txt file")
    return text


def clean_topic(topic: str | None, topics: set[str] | None) -> str | None:
    if topic is None or not topic.strip():
        return None
    slug = topic.strip().lower()
    if len(slug) > MAX_TOPIC_CHARS or (topics is not None and slug not in topics):
        known = ", ".join(sorted(topics or ()))
        raise UserInputError(f"unknown topic {slug[:40]!r}; use one of: {known}")
    return slug


# ------------------------------------------------------------------------- index files
def write_index_atomically(index: faiss.Index, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = faiss.serialize_index(index).tobytes()
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(Exception):
            os.unlink(tmp)
        raise
    fsync_dir(path.parent)


def new_index() -> faiss.IndexIDMap2:
    return faiss.IndexIDMap2(faiss.IndexFlatIP(EMBEDDING_DIM))


def index_ids(index: faiss.Index) -> set[int]:
    return set(int(i) for i in faiss.vector_to_array(index.id_map)) if index.ntotal else set()


@dataclass
class RepairReport:
    guild_id: int
    stale_ids: int = 0
    reembedded_notes: int = 0

    @property
    def repaired(self) -> bool:
        return bool(self.stale_ids or self.reembedded_notes)


_VERSIONS = itertools.count(1)


@dataclass(frozen=True)
class _Guild:
    """One guild's index and passages as of one version. Never changed once published: a
    change makes a new snapshot, so a search can hold on to one without a lock or a copy."""

    key: int
    index: faiss.Index
    chunks: dict[int, NoteChunk]
    version: int


@dataclass(frozen=True)
class NoteHits:
    guild: int
    version: int  # changes whenever the guild's notes change (keyword index cache key)
    dense: dict[int, float]  # FAISS id → cosine (top candidates)
    chunks: dict[int, NoteChunk]  # every passage of the guild's notes, by FAISS id
    best_dense: float
    index: faiss.Index | None = None  # the snapshot searched (for cosines of other passages)

    def cosine(self, fid: int, query_vector: np.ndarray) -> float:
        """Cosine of one passage of this snapshot (still there even if the note was removed since)."""
        assert self.index is not None
        return float(self.index.reconstruct(int(fid)) @ query_vector)


class NoteStore:
    """Notes of every guild: SQLite + one incremental FAISS index and one BM25 index per guild."""

    def __init__(self, db_path: Path, embedder: "Embedder", index_dir: Path, topics: set[str] | None = None) -> None:
        self.db_path = Path(db_path)
        self.index_dir = Path(index_dir)
        self.embedder = embedder
        self.topics = topics
        self._handle = open_notes_db(self.db_path)
        self._lock = self._handle.lock  # the connection's (the gap log shares it): SQL statements only
        self._guilds: dict[int, _Guild] = {}  # current snapshots; replaced, never mutated
        self._write_locks: dict[int, threading.Lock] = {}
        self._write_locks_guard = threading.Lock()
        self._sentences: OrderedDict[int, tuple[list[str], np.ndarray]] = OrderedDict()
        self._sentences_lock = threading.Lock()
        self.repairs: list[RepairReport] = []

    @classmethod
    def open(cls, db_path: Path, embedder: "Embedder", index_dir: Path, topics: set[str] | None = None) -> "NoteStore":
        """Open and check every guild's index against SQLite (repairing any drift)."""
        store = cls(db_path, embedder, index_dir, topics)
        store.check_all()
        return store

    @property
    def _db(self) -> sqlite3.Connection:
        return self._handle.connection

    def close(self) -> None:
        self._handle.close()

    # ------------------------------------------------------------------ reading
    def _row(self, row: tuple) -> Note:
        return Note(int(row[0]), int(row[1]), row[2], row[3], row[4], row[5], row[6], float(row[7]), row[8])

    _COLUMNS = "id, guild_id, title, topic, body, author_id, author_name, created, sha256"

    def notes_of(self, guild_id: int | None) -> list[Note]:
        with self._lock:
            rows = self._db.execute(f"SELECT {self._COLUMNS} FROM notes WHERE guild_id = ? ORDER BY id",
                                    (guild_key(guild_id),)).fetchall()
        return [self._row(r) for r in rows]

    def get(self, guild_id: int | None, note_id: int) -> Note | None:
        with self._lock:
            row = self._db.execute(f"SELECT {self._COLUMNS} FROM notes WHERE guild_id = ? AND id = ?",
                                   (guild_key(guild_id), int(note_id))).fetchone()
        return self._row(row) if row else None

    def count(self, guild_id: int | None) -> int:
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM notes WHERE guild_id = ?",
                                        (guild_key(guild_id),)).fetchone()[0])

    def index_path(self, key: int) -> Path:
        return self.index_dir / f"guild-{key}.faiss"

    # ------------------------------------------------------------------ consistency
    def _write_lock(self, key: int) -> threading.Lock:
        """The lock one guild's changes take (loads, adds, removes); other guilds never wait on it."""
        with self._write_locks_guard:
            return self._write_locks.setdefault(key, threading.Lock())

    def check_all(self) -> list[RepairReport]:
        with self._lock:
            keys = {int(r[0]) for r in self._db.execute("SELECT DISTINCT guild_id FROM notes")}
        if self.index_dir.exists():
            for file in self.index_dir.glob("guild-*.faiss"):
                with contextlib.suppress(Exception):
                    keys.add(int(file.stem.removeprefix("guild-")))
            for tmp in self.index_dir.glob(".guild-*.tmp"):  # a write killed before os.replace
                with contextlib.suppress(Exception):
                    tmp.unlink()
        reports = []
        for key in sorted(keys):
            with self._write_lock(key):
                reports.append(self._load(key))
        self.repairs = reports
        return [r for r in self.repairs if r.repaired]

    def _guild(self, key: int) -> _Guild:
        guild = self._guilds.get(key)
        if guild is None:
            with self._write_lock(key):
                guild = self._guilds.get(key)
                if guild is None:
                    self._load(key)
                    guild = self._guilds[key]
        return guild

    def _load(self, key: int) -> RepairReport:
        """Load a guild's index and make it agree with SQLite (the caller holds its write lock)."""
        report = RepairReport(key)
        path = self.index_path(key)
        index: faiss.Index
        try:
            index = faiss.read_index(str(path)) if path.exists() else new_index()
            if index.d != EMBEDDING_DIM or not isinstance(index, faiss.IndexIDMap2):
                raise RuntimeError("unexpected index type")
        except Exception as exc:  # corrupt file: rebuild this guild from SQLite
            log.warning("notes index %s unreadable (%s); rebuilding it", path, exc)
            index = new_index()
            report.stale_ids = -1
        notes = {n.id: n for n in self.notes_of(key)}
        expected: dict[int, NoteChunk] = {}
        for note in notes.values():
            expected.update(note_chunks(note))
        present = index_ids(index)
        stale = present - expected.keys()
        missing_notes = sorted({fid >> PART_BITS for fid in expected.keys() - present})
        if stale:
            index.remove_ids(np.asarray(sorted(stale), dtype=np.int64))
            report.stale_ids = len(stale)
        if missing_notes:
            partial = [fid for fid in present - stale if (fid >> PART_BITS) in set(missing_notes)]
            if partial:
                index.remove_ids(np.asarray(partial, dtype=np.int64))
            for note_id in missing_notes:
                self._add_vectors(index, note_chunks(notes[note_id]))
            report.reembedded_notes = len(missing_notes)
        if report.repaired or (not path.exists() and notes):
            write_index_atomically(index, path)
            log.warning("notes index of guild %s repaired: %d stale ids dropped, %d notes re-embedded",
                        key, max(report.stale_ids, 0), report.reembedded_notes)
        self._guilds[key] = _Guild(key, index, expected, next(_VERSIONS))
        return report

    def drift(self, guild_id: int | None) -> tuple[set[int], set[int]]:
        """(ids in the FAISS file SQLite doesn't know, ids SQLite expects that the file lacks)."""
        key = guild_key(guild_id)
        path = self.index_path(key)
        present = index_ids(faiss.read_index(str(path))) if path.exists() else set()
        expected: set[int] = set()
        for note in self.notes_of(key):
            expected |= note_chunks(note).keys()
        return present - expected, expected - present

    def _add_vectors(self, index: faiss.Index, chunks: dict[int, NoteChunk]) -> None:
        if not chunks:
            return
        ids = np.asarray(list(chunks), dtype=np.int64)
        vectors = self.embedder.encode([c.embedding_text() for c in chunks.values()], background=True)
        index.add_with_ids(vectors, ids)

    def _check_room(self, key: int) -> None:
        if self.count(key) >= MAX_NOTES_PER_GUILD:
            raise UserInputError(f"this server already has {MAX_NOTES_PER_GUILD} notes, the limit; "
                                 "remove one with /kb remove first")

    # ------------------------------------------------------------------ changes
    def add(self, guild_id: int | None, title: str, data: bytes | str, topic: str | None = None,
            author_id: int | None = None, author_name: str = "", filename: str = "the note") -> Note:
        """Validate, store, embed and index a note; it is searchable when this returns."""
        title = clean_title(title)
        text = clean_text(data, filename)
        topic = clean_topic(topic, self.topics)
        key = guild_key(guild_id)
        author_name = " ".join((author_name or "").split())[:80]
        self._check_room(key)  # fail fast, before the embedding
        pieces = note_passages(text)
        try:
            vectors = self.embedder.encode([f"{title}. {piece}" for piece in pieces], background=True)  # no lock held
        except TimeoutError:
            raise UserInputError(f"embedding this note ({len(text) // 1024} KB) took too long and was stopped; "
                                 "try again later or upload it in smaller parts") from None
        with self._write_lock(key):
            self._check_room(key)  # another upload to this guild may have filled it meanwhile
            guild = self._loaded(key)
            digest = hashlib.sha256(text.encode()).hexdigest()
            with self._lock:
                cur = self._db.execute(
                    "INSERT INTO notes (guild_id, title, topic, body, author_id, author_name, created, sha256) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (key, title, topic, text, author_id, author_name, time.time(), digest))
            note = self.get(key, int(cur.lastrowid))
            assert note is not None
            chunks = note_chunks(note)
            assert len(chunks) == len(pieces)  # the same passages, so the vectors line up
            try:
                index = faiss.clone_index(guild.index)
                index.add_with_ids(vectors, np.asarray(list(chunks), dtype=np.int64))
                write_index_atomically(index, self.index_path(key))
            except BaseException:
                with self._lock:
                    self._db.execute("DELETE FROM notes WHERE id = ?", (note.id,))
                raise
            self._guilds[key] = _Guild(key, index, {**guild.chunks, **chunks}, next(_VERSIONS))
        return note

    def remove(self, guild_id: int | None, note_id: int) -> Note:
        key = guild_key(guild_id)
        with self._write_lock(key):
            note = self.get(key, note_id)
            if note is None:
                raise UserInputError(f"there is no note #{note_id} in this server; see /kb list")
            guild = self._loaded(key)
            with self._lock:
                self._db.execute("DELETE FROM notes WHERE id = ? AND guild_id = ?", (note.id, key))
            ids = [fid for fid in guild.chunks if fid >> PART_BITS == note.id]
            index = faiss.clone_index(guild.index)
            if ids:
                index.remove_ids(np.asarray(ids, dtype=np.int64))
            write_index_atomically(index, self.index_path(key))
            chunks = {fid: c for fid, c in guild.chunks.items() if fid >> PART_BITS != note.id}
            self._guilds[key] = _Guild(key, index, chunks, next(_VERSIONS))
        with self._sentences_lock:
            for fid in ids:
                self._sentences.pop(fid, None)
        return note

    def _loaded(self, key: int) -> _Guild:
        """A guild whose write lock the caller holds (``_guild`` would take it again)."""
        guild = self._guilds.get(key)
        if guild is None:
            self._load(key)
            guild = self._guilds[key]
        return guild

    def rename_author(self, author_id: int, author_name: str) -> int:
        """Every note ``author_id`` wrote, in every guild, now shows ``author_name`` and keeps no id
        (for /forget-me: the note stays for the server). Returns how many notes changed."""
        with self._lock:
            keys = [int(r[0]) for r in self._db.execute(
                "SELECT DISTINCT guild_id FROM notes WHERE author_id = ?", (int(author_id),))]
        changed = 0
        for key in keys:
            with self._write_lock(key):
                with self._lock:
                    changed += self._db.execute("UPDATE notes SET author_id = NULL, author_name = ? "
                                                "WHERE guild_id = ? AND author_id = ?",
                                                (author_name, key, int(author_id))).rowcount
                guild = self._guilds.get(key)
                if guild is not None:  # the citations show the new name at once (same passages, same ids)
                    chunks = dict(guild.chunks)
                    for note in self.notes_of(key):
                        chunks.update(note_chunks(note))
                    self._guilds[key] = _Guild(key, guild.index, chunks, next(_VERSIONS))
        return changed

    def drop_scope(self, guild_id: int | None) -> int:
        """Delete every note of one scope and its index file (a private scope whose owner asked to
        be forgotten); returns how many notes went."""
        key = guild_key(guild_id)
        with self._write_lock(key):
            with self._lock:
                n = self._db.execute("DELETE FROM notes WHERE guild_id = ?", (key,)).rowcount
            self._guilds.pop(key, None)
            with contextlib.suppress(FileNotFoundError):
                self.index_path(key).unlink()
        return n

    # ------------------------------------------------------------------ search
    def has_notes(self, guild_id: int | None) -> bool:
        guild = self._guilds.get(guild_key(guild_id))
        return bool(guild and guild.chunks)

    def search(self, guild_id: int | None, query_vector: np.ndarray, n: int) -> NoteHits | None:
        """The guild's best dense candidates and its passages (None when it has no notes).
        Takes no lock: it searches the guild's current snapshot, which no write changes."""
        guild = self._guilds.get(guild_key(guild_id))
        if guild is None or not guild.chunks:
            return None
        scores, ids = guild.index.search(query_vector[None, :].astype(np.float32), min(n, guild.index.ntotal))
        dense = {int(i): float(s) for i, s in zip(ids[0], scores[0]) if i >= 0}
        return NoteHits(guild.key, guild.version, dense, guild.chunks, max(dense.values(), default=0.0),
                        guild.index)

    def cosine(self, guild_id: int | None, fid: int, query_vector: np.ndarray) -> float:
        return float(self._guild(guild_key(guild_id)).index.reconstruct(int(fid)) @ query_vector)

    def sentences(self, chunk: NoteChunk) -> tuple[list[str], np.ndarray]:
        """Sentences of a note passage and their vectors (for extractive answers; cached)."""
        fid = -chunk.id
        with self._sentences_lock:
            cached = self._sentences.get(fid)
            if cached is not None:
                self._sentences.move_to_end(fid)
                return cached
        prose = _HEADING_LINE.sub(r"\1.", chunk.text)  # "# Office hours" → "Office hours."
        sentences = split_sentences(prose) or [chunk.text]
        vectors = self.embedder.encode(sentences)
        with self._sentences_lock:
            self._sentences[fid] = (sentences, vectors)
            while len(self._sentences) > SENTENCE_CACHE:
                self._sentences.popitem(last=False)
        return sentences, vectors
