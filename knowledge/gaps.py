"""The gap log: questions the bot could not answer (and answers voted 👎), grouped by meaning.

Each entry keeps the time, the guild, the question, the best evidence score it got and the
question's sentence embedding (same model as retrieval), in the ``gaps`` table of ``notes.db``.
:meth:`GapLog.groups` clusters a guild's open entries with agglomerative clustering on cosine
distance (average linkage, a distance threshold, so the number of groups follows the data) and
lists the largest groups first. A group's id is the id of its oldest entry; resolving a group
marks all of its questions resolved.

The log is bounded: each guild keeps its newest :data:`MAX_ROWS_PER_GUILD` entries (open or
resolved; older ones go as new ones arrive, and :meth:`GapLog.trim` applies the cap to every
guild). An entry remembers who logged it, so :meth:`GapLog.forget_user` can delete a member's
questions. Questions asked in direct messages are all filed under one key,
:data:`DIRECT_MESSAGES`, never under anything derived from the asker.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from knowledge.embedder import EMBEDDING_DIM
from knowledge.notes import guild_key, open_notes_db
from tools.errors import UserInputError

if TYPE_CHECKING:
    from knowledge.embedder import Embedder

GROUP_DISTANCE = 0.45  # cosine distance: paraphrases of one question sit well within it
MATCH_SIMILARITY = 0.6  # "Save as answer" resolves groups whose questions are this close
MAX_OPEN_PER_GUILD = 5_000
MAX_ROWS_PER_GUILD = 5_000  # open and resolved entries a guild keeps; the oldest go first
DIRECT_MESSAGES = -1  # the one gap-log key of every direct-message question (no real scope is -1)
KINDS = ("abstained", "downvote")


@dataclass(frozen=True)
class GapGroup:
    id: int  # id of the oldest entry in the group
    count: int
    example: str  # the phrasing closest to the group's centre
    questions: tuple[str, ...]
    entry_ids: tuple[int, ...]
    best_score: float | None  # the best evidence any of them got
    last_asked: float
    downvotes: int

    def as_dict(self) -> dict[str, object]:
        return {"group": self.id, "count": self.count, "example": self.example,
                "questions": list(self.questions), "best_score": self.best_score,
                "last_asked": round(self.last_asked, 3), "downvotes": self.downvotes}


def cluster(vectors: np.ndarray, distance: float = GROUP_DISTANCE) -> np.ndarray:
    """Cluster labels of normalized vectors (cosine distance, average linkage)."""
    if len(vectors) == 0:
        return np.zeros(0, dtype=int)
    if len(vectors) == 1:
        return np.zeros(1, dtype=int)
    from sklearn.cluster import AgglomerativeClustering

    model = AgglomerativeClustering(n_clusters=None, distance_threshold=distance, metric="cosine",
                                    linkage="average")
    return model.fit_predict(vectors)


class GapLog:
    def __init__(self, db_path: Path, embedder: "Embedder") -> None:
        self.embedder = embedder
        self._handle = open_notes_db(Path(db_path))
        self._lock = self._handle.lock  # shared with the notes: one connection to notes.db

    @property
    def _db(self) -> sqlite3.Connection:
        return self._handle.connection

    def close(self) -> None:
        self._handle.close()

    def record(self, guild_id: int | None, question: str, best_score: float | None, kind: str = "abstained",
               ref: str | None = None, user_id: int | None = None) -> int | None:
        """Log a gap; returns its id (None if ``ref`` was already logged and is still open).
        ``user_id``: who logged it (deleted with :meth:`forget_user`)."""
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}")
        question = " ".join(question.split())[:1000]
        if not question:
            return None
        key = guild_key(guild_id)
        vector = self.embedder.encode_one(question).astype(np.float32)
        with self._lock:
            if ref is not None and self._db.execute(
                    "SELECT 1 FROM gaps WHERE ref = ? AND kind = ? AND resolved IS NULL", (ref, kind)).fetchone():
                return None
            cur = self._db.execute(
                "INSERT INTO gaps (created, guild_id, question, best_score, kind, ref, vector, user_id) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (time.time(), key, question, None if best_score is None else float(best_score), kind, ref,
                 vector.tobytes(), user_id))
            self._trim_guild(key)
            return int(cur.lastrowid)

    def _trim_guild(self, key: int, keep: int | None = None) -> int:
        """Delete all but the newest ``keep`` (default :data:`MAX_ROWS_PER_GUILD`) entries of one
        guild (the caller holds the lock)."""
        keep = MAX_ROWS_PER_GUILD if keep is None else keep
        count = int(self._db.execute("SELECT COUNT(*) FROM gaps WHERE guild_id = ?", (key,)).fetchone()[0])
        if count <= keep:
            return 0
        return self._db.execute(
            "DELETE FROM gaps WHERE guild_id = ? AND id NOT IN "
            "(SELECT id FROM gaps WHERE guild_id = ? ORDER BY id DESC LIMIT ?)", (key, key, keep)).rowcount

    def trim(self, keep: int | None = None) -> int:
        """Apply the per-guild cap to every guild; returns how many entries were deleted."""
        keep = MAX_ROWS_PER_GUILD if keep is None else keep
        with self._lock:
            keys = [int(r[0]) for r in self._db.execute(
                "SELECT guild_id FROM gaps GROUP BY guild_id HAVING COUNT(*) > ?", (keep,))]
            return sum(self._trim_guild(key, keep) for key in keys)

    def forget_user(self, user_id: int, refs: Sequence[str] = (), scopes: Sequence[int] = ()) -> int:
        """Delete the entries ``user_id`` logged, those about answers in ``refs`` (their saved
        /ask answers, voted down by anyone) and every entry filed under ``scopes`` (keys that
        were theirs alone, such as an old private direct-message scope)."""
        with self._lock:
            n = self._db.execute("DELETE FROM gaps WHERE user_id = ?", (int(user_id),)).rowcount
            for ref in refs:
                n += self._db.execute("DELETE FROM gaps WHERE ref = ?", (ref,)).rowcount
            for scope in scopes:
                n += self._db.execute("DELETE FROM gaps WHERE guild_id = ?", (int(scope),)).rowcount
            return n

    def _open(self, guild_id: int | None) -> list[tuple]:
        with self._lock:
            return self._db.execute(
                "SELECT id, created, question, best_score, kind, vector FROM gaps "
                "WHERE guild_id = ? AND resolved IS NULL ORDER BY id DESC LIMIT ?",
                (guild_key(guild_id), MAX_OPEN_PER_GUILD)).fetchall()[::-1]

    def groups(self, guild_id: int | None) -> list[GapGroup]:
        """Open gaps of a guild grouped by meaning, largest group first (then most recent)."""
        rows = self._open(guild_id)
        if not rows:
            return []
        vectors = np.vstack([np.frombuffer(r[5], dtype=np.float32, count=EMBEDDING_DIM) for r in rows])
        labels = cluster(vectors)
        groups: list[GapGroup] = []
        for label in sorted(set(int(x) for x in labels)):
            members = [i for i, x in enumerate(labels) if int(x) == label]
            centre = vectors[members].mean(axis=0)
            example = rows[members[int(np.argmax(vectors[members] @ centre))]][2]
            scores = [rows[i][3] for i in members if rows[i][3] is not None]
            groups.append(GapGroup(
                id=min(int(rows[i][0]) for i in members), count=len(members), example=example,
                questions=tuple(dict.fromkeys(rows[i][2] for i in members)),
                entry_ids=tuple(int(rows[i][0]) for i in members),
                best_score=round(max(scores), 4) if scores else None,
                last_asked=max(float(rows[i][1]) for i in members),
                downvotes=sum(rows[i][4] == "downvote" for i in members)))
        groups.sort(key=lambda g: (-g.count, -g.last_asked))
        return groups

    def _mark(self, ids: list[int], note_id: int | None) -> int:
        if not ids:
            return 0
        with self._lock:
            self._db.execute("BEGIN")
            try:
                n = 0
                for gap_id in ids:
                    n += self._db.execute("UPDATE gaps SET resolved = ?, resolved_by_note = ? "
                                          "WHERE id = ? AND resolved IS NULL", (time.time(), note_id, gap_id)).rowcount
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return n

    def resolve(self, guild_id: int | None, group_id: int, note_id: int | None = None) -> GapGroup:
        """Mark every question of the group that contains entry ``group_id`` resolved."""
        for group in self.groups(guild_id):
            if group_id in group.entry_ids:
                self._mark(list(group.entry_ids), note_id)
                return group
        raise UserInputError(f"there is no open gap group #{group_id} in this server; see /admin gaps")

    def resolve_matching(self, guild_id: int | None, question: str, note_id: int | None = None,
                         similarity: float = MATCH_SIMILARITY) -> list[GapGroup]:
        """Resolve the groups with a question close to ``question`` (a trusted answer was saved)."""
        groups = self.groups(guild_id)
        if not groups:
            return []
        qvec = self.embedder.encode_one(" ".join(question.split())[:1000])
        rows = {int(r[0]): np.frombuffer(r[5], dtype=np.float32, count=EMBEDDING_DIM) for r in self._open(guild_id)}
        matched = [g for g in groups if max(float(rows[i] @ qvec) for i in g.entry_ids if i in rows) >= similarity]
        for group in matched:
            self._mark(list(group.entry_ids), note_id)
        return matched
