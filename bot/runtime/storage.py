"""SQLite state (WAL): answers (so buttons work after a restart), feedback votes, usage log.

``<data_dir>/tutor.db``, schema in ``bot/runtime/migrations/`` (applied by
:func:`tools.migrations.open_database`). One connection per process, guarded by a lock;
callers on the event loop use ``asyncio.to_thread``. WAL mode lets readers (``/admin stats``)
run while a vote is written, and a crash never loses a committed vote.
"""

from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from tools.migrations import open_database

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def _adopt(db: sqlite3.Connection) -> int:
    """A file from before versioned migrations already has migration 1 if it has its tables."""
    return 1 if db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'answers'").fetchone() else 0


@dataclass(frozen=True)
class StoredAnswer:
    id: str
    question: str
    answer: str
    abstained: bool
    sources: list[dict[str, str]]
    passages: list[str]


class Store:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._handle = open_database(self.path, MIGRATIONS_DIR, adopt=_adopt)
        self._lock = self._handle.lock

    @property
    def _db(self) -> sqlite3.Connection:
        return self._handle.connection

    @property
    def closed(self) -> bool:
        return self._handle.closed

    def close(self) -> None:
        self._handle.close()

    def save_answer(self, answer_id: str, question: str, answer: str, abstained: bool,
                    sources: list[dict[str, str]], passages: list[str],
                    user_id: int | None = None, guild_id: int | None = None) -> None:
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO answers VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (answer_id, time.time(), user_id, guild_id, question, answer, int(abstained),
                 json.dumps(sources), json.dumps(passages)),
            )

    def get_answer(self, answer_id: str) -> StoredAnswer | None:
        with self._lock:
            row = self._db.execute(
                "SELECT id, question, answer, abstained, sources, passages FROM answers WHERE id = ?",
                (answer_id,),
            ).fetchone()
        if row is None:
            return None
        return StoredAnswer(row[0], row[1], row[2], bool(row[3]), json.loads(row[4]), json.loads(row[5]))

    def vote(self, answer_id: str, user_id: int, vote: int) -> bool:
        """Record (or change) a user's vote; False if the answer is unknown."""
        if vote not in (-1, 1):
            raise ValueError("vote must be -1 or 1")
        with self._lock:
            exists = self._db.execute("SELECT 1 FROM answers WHERE id = ?", (answer_id,)).fetchone()
            if not exists:
                return False
            self._db.execute(
                "INSERT INTO feedback VALUES (?, ?, ?, ?) ON CONFLICT(answer_id, user_id) "
                "DO UPDATE SET vote = excluded.vote, created = excluded.created",
                (answer_id, user_id, vote, time.time()),
            )
        return True

    def votes(self, answer_id: str) -> tuple[int, int]:
        with self._lock:
            row = self._db.execute(
                "SELECT COALESCE(SUM(vote = 1), 0), COALESCE(SUM(vote = -1), 0) FROM feedback WHERE answer_id = ?",
                (answer_id,),
            ).fetchone()
        return int(row[0]), int(row[1])

    def answer_ids_of(self, user_id: int) -> list[str]:
        """Ids of the saved answers to ``user_id``'s questions."""
        with self._lock:
            return [r[0] for r in self._db.execute("SELECT id FROM answers WHERE user_id = ?", (user_id,))]

    def forget_user(self, user_id: int) -> dict[str, int]:
        """Delete everything tied to a user: their answers (and votes on them), votes, usage."""
        with self._lock:
            self._db.execute("BEGIN")
            try:
                votes = self._db.execute(
                    "DELETE FROM feedback WHERE user_id = ? OR answer_id IN (SELECT id FROM answers WHERE user_id = ?)",
                    (user_id, user_id)).rowcount
                answers = self._db.execute("DELETE FROM answers WHERE user_id = ?", (user_id,)).rowcount
                usage = self._db.execute("DELETE FROM usage WHERE user_id = ?", (user_id,)).rowcount
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return {"answers": answers, "votes": votes, "usage": usage}

    def prune(self, older_than_s: float, now: float | None = None) -> dict[str, int]:
        """Delete saved answers (with their votes) and usage rows older than ``older_than_s``."""
        cutoff = (time.time() if now is None else now) - older_than_s
        with self._lock:
            self._db.execute("BEGIN")
            try:
                votes = self._db.execute(
                    "DELETE FROM feedback WHERE created < ? OR answer_id IN (SELECT id FROM answers WHERE created < ?)",
                    (cutoff, cutoff)).rowcount
                answers = self._db.execute("DELETE FROM answers WHERE created < ?", (cutoff,)).rowcount
                usage = self._db.execute("DELETE FROM usage WHERE ts < ?", (cutoff,)).rowcount
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return {"answers": answers, "votes": votes, "usage": usage}

    def log_usage(self, command: str, outcome: str, ms: float, user_id: int | None, guild_id: int | None) -> None:
        with self._lock:
            self._db.execute("INSERT INTO usage VALUES (?, ?, ?, ?, ?, ?)",
                             (time.time(), user_id, guild_id, command, outcome, ms))

    def stats(self, since_s: float = 7 * 86400) -> dict[str, object]:
        cutoff = time.time() - since_s
        with self._lock:
            by_command = self._db.execute(
                "SELECT command, COUNT(*), AVG(ms), SUM(outcome != 'ok') FROM usage WHERE ts >= ? "
                "GROUP BY command ORDER BY COUNT(*) DESC", (cutoff,)).fetchall()
            up, down = self._db.execute(
                "SELECT COALESCE(SUM(vote = 1), 0), COALESCE(SUM(vote = -1), 0) FROM feedback WHERE created >= ?",
                (cutoff,)).fetchone()
            users = self._db.execute("SELECT COUNT(DISTINCT user_id) FROM usage WHERE ts >= ?", (cutoff,)).fetchone()[0]
        return {
            "commands": [{"command": c, "count": n, "avg_ms": round(ms or 0, 1), "errors": int(e or 0)}
                         for c, n, ms, e in by_command],
            "votes_up": int(up), "votes_down": int(down), "users": int(users),
        }
