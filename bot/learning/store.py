"""SQLite state of the learning loop: users, quiz sessions, answers, FSRS cards, the misconceptions
a student has shown, and each server's question of the day.

One file, ``<data_dir>/learning.db``, in WAL mode with foreign keys on and ``synchronous=FULL``:
an answer is acknowledged only after its transaction is on disk, so neither a killed process nor
a power cut loses it (WAL keeps that cheap: one append and one fsync per answer). The schema is
the SQL files in ``bot/learning/migrations/``, applied by :mod:`tools.migrations`.

Recording an answer is one unit of work: check the session (owner, position, expiry), grade,
update the FSRS card, insert the answer, advance the session. Writes go through one writer thread
per store that commits whatever has queued up in a single transaction (group commit, each write
in its own savepoint), so many concurrent answers share one fsync; a caller returns only after
the commit that holds its write. One connection per process, guarded by a lock (handlers run in
threads); :func:`get_store` keeps one store per path. ``forget_user`` deletes a user's every row.
"""

from __future__ import annotations

import json
import logging
import queue
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.learning.scheduler import HINT_STEPS, CardState, rating_for, review
from tools.errors import UserInputError
from tools.migrations import load_migrations, open_database, schema_version

log = logging.getLogger(__name__)

DB_FILENAME = "learning.db"
SESSION_TTL_S = 24 * 3600.0
SESSION_KEEP_S = 7 * 86400.0  # finished or expired sessions are deleted after this (answers stay)
PRUNE_EVERY_S = 3600.0
EXPIRED_MESSAGE = "that question has expired, start a new /quiz"
MAX_BATCH = 256  # answers per group commit

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
SCHEMA_VERSION = load_migrations(MIGRATIONS_DIR)[-1].version


class StoreClosed(RuntimeError):
    """A write reached the learning store after it closed (the bot is shutting down)."""

    def __init__(self, path: Path) -> None:
        super().__init__(f"learning store {path} is closed")


class QuizExpired(UserInputError):
    def __init__(self, message: str = EXPIRED_MESSAGE) -> None:
        super().__init__(message)


class NotYourQuiz(UserInputError):
    def __init__(self) -> None:
        super().__init__("this quiz belongs to someone else; start your own with /quiz")


@dataclass(frozen=True)
class Session:
    id: str
    user_id: int
    guild_id: int | None
    kind: str  # quiz | review
    topic: str | None
    total: int
    position: int  # index of the question being asked (== total when finished)
    correct: int
    created: float
    shown_at: float  # when the current question was shown (answer time starts here)
    finished: float | None
    questions: tuple[dict[str, Any], ...] = ()  # filled by get_session / create_session only
    hints: int = 0  # hint steps taken on the current question (see scheduler.HINT_STEPS)

    def expired(self, now: float) -> bool:
        return now - self.created > SESSION_TTL_S


@dataclass(frozen=True)
class GradedAnswer:
    session: Session  # after the answer (without its questions)
    question: dict[str, Any]  # the question answered
    next_question: dict[str, Any] | None  # the one to show now (None when the session is finished)
    position: int
    choice: int
    correct: bool
    rating: int
    elapsed_s: float
    card: CardState
    hints: int = 0  # hint steps taken before answering
    misconception: str = ""  # the why_wrong of the chosen option (a wrong answer), now on record
    cleared: int = 0  # misconceptions on this question that this right answer cleared


@dataclass(frozen=True)
class Misconception:
    question_id: str
    topic: str
    section: str
    choice: str
    why_wrong: str
    first_shown: float
    last_shown: float
    times: int


@dataclass(frozen=True)
class DailySchedule:
    guild_id: int
    channel_id: int
    time_utc: str  # "HH:MM"
    last_date: str | None  # the last UTC date handled (posted or skipped)


@dataclass(frozen=True)
class DailyPost:
    id: str
    guild_id: int
    channel_id: int
    day: str
    question: dict[str, Any]
    posted: float


@dataclass(frozen=True)
class DailyAnswer:
    post: DailyPost
    choice: int
    correct: bool
    rating: int
    card: CardState | None  # None when this user had already answered (nothing re-graded)
    hints: int
    misconception: str = ""
    cleared: int = 0
    already: bool = False


@dataclass(frozen=True)
class CardRow:
    question_id: str
    topic: str
    card: CardState


_SESSION_COLUMNS = "id, user_id, guild_id, kind, topic, total, position, correct, created, shown_at, finished, hints"


def _session(row: tuple[Any, ...], questions: tuple[dict[str, Any], ...] = ()) -> Session:
    return Session(row[0], int(row[1]), row[2], row[3], row[4], int(row[5]), int(row[6]), int(row[7]),
                   float(row[8]), float(row[9]), row[10], questions, int(row[11] or 0))


def _daily_post(row: tuple[Any, ...]) -> DailyPost:
    return DailyPost(row[0], int(row[1]), int(row[2]), row[3], json.loads(row[4]), float(row[5]))


_DAILY_POST_COLUMNS = "id, guild_id, channel_id, day, question, posted"


def _card(row: tuple[Any, ...]) -> CardState:
    state, step, stability, difficulty, due, last_review, reps, lapses = row
    return CardState(int(state), step, stability, difficulty, float(due), last_review, int(reps), int(lapses))


class _Job:
    """One write waiting for the writer thread: ``fn(connection)`` inside the batch transaction."""

    __slots__ = ("fn", "done", "result", "error")

    def __init__(self, fn: Callable[[sqlite3.Connection], Any]) -> None:
        self.fn = fn
        self.done = threading.Event()
        self.result: Any = None
        self.error: BaseException | None = None


class LearningStore:
    """The learning database. Writes go through one writer thread that commits them in batches
    (group commit): under load, one fsync covers every answer that arrived meanwhile, and each
    caller returns only after the commit that contains its write."""

    def __init__(self, path: Path, synchronous: str = "FULL") -> None:
        self.path = Path(path)
        self._handle = open_database(self.path, MIGRATIONS_DIR, synchronous=synchronous)
        self._lock = self._handle.lock  # guards the connection (the writer's batches and readers)
        self._db = self._handle.connection
        self._last_prune = 0.0
        self._queue: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._closed = False
        self._submit_lock = threading.Lock()  # no job can be queued behind the closing sentinel
        self._writer = threading.Thread(target=self._write_loop, name=f"learning-writer:{self.path.name}", daemon=True)
        self._writer.start()

    # ------------------------------------------------------------------ plumbing

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        """Commit what is queued, stop the writer, close the connection. A write submitted
        afterwards raises :class:`StoreClosed` at once; none is left waiting."""
        with self._submit_lock:
            if self._closed:
                return
            self._closed = True
            self._queue.put(None)
        self._writer.join(timeout=30)
        self._fail_pending()
        self._handle.close()

    def _fail_pending(self) -> None:
        while True:
            try:
                job = self._queue.get_nowait()
            except queue.Empty:
                return
            if job is not None:
                job.error = StoreClosed(self.path)
                job.done.set()

    def _submit(self, fn: Callable[[sqlite3.Connection], Any]) -> Any:
        """Run ``fn`` in a write transaction; returns once that transaction has committed."""
        job = _Job(fn)
        with self._submit_lock:
            if self._closed:
                raise StoreClosed(self.path)
            self._queue.put(job)
        job.done.wait()
        if job.error is not None:
            raise job.error
        return job.result

    def _write_loop(self) -> None:
        while True:
            job = self._queue.get()
            if job is None:
                return
            batch = [job]
            stop = False
            while len(batch) < MAX_BATCH:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    stop = True
                    break
                batch.append(more)
            self._run_batch(batch)
            if stop:
                return

    def _run_batch(self, batch: list[_Job]) -> None:
        """One transaction for the whole batch; a failing job is rolled back to its savepoint alone."""
        try:
            with self._lock:
                self._db.execute("BEGIN IMMEDIATE")
                committed = []
                try:
                    for job in batch:
                        self._db.execute("SAVEPOINT job")
                        try:
                            job.result = job.fn(self._db)
                        except Exception as exc:  # e.g. QuizExpired: undo this job only
                            self._db.execute("ROLLBACK TO job")
                            job.error = exc
                        self._db.execute("RELEASE job")
                        if job.error is None:
                            committed.append(job)
                    self._db.execute("COMMIT")
                except BaseException as exc:
                    if self._db.in_transaction:
                        self._db.execute("ROLLBACK")
                    for job in committed:
                        job.error, job.result = exc, None
                    raise
        except Exception as exc:  # the batch failed as a whole (disk full, I/O error): report to everyone
            log.exception("learning store %s: a write batch of %d failed", self.path, len(batch))
            for job in batch:
                if job.error is None:
                    job.error = exc
        finally:
            for job in batch:
                job.done.set()

    def _read(self, sql: str, args: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            return self._db.execute(sql, args).fetchall()

    def schema_version(self) -> int:
        with self._lock:
            return schema_version(self._db)

    @staticmethod
    def _touch_user(db: sqlite3.Connection, user_id: int, display_name: str, now: float) -> None:
        db.execute(
            "INSERT INTO users (user_id, display_name, created) VALUES (?, ?, ?) ON CONFLICT(user_id) DO UPDATE "
            "SET display_name = excluded.display_name "
            "WHERE excluded.display_name != '' AND excluded.display_name != users.display_name",
            (user_id, display_name[:100], now))

    # ------------------------------------------------------------------ sessions and answers

    def create_session(self, session_id: str, user_id: int, guild_id: int | None, display_name: str, kind: str,
                       topic: str | None, questions: list[dict[str, Any]], now: float | None = None) -> Session:
        now = time.time() if now is None else now
        rows = [(session_id, i, json.dumps(q, ensure_ascii=False)) for i, q in enumerate(questions)]

        prune = now - self._last_prune > PRUNE_EVERY_S
        if prune:
            self._last_prune = now

        def write(db: sqlite3.Connection) -> None:
            if prune:  # old sessions (long expired) go; their answers keep session_id NULL
                db.execute("DELETE FROM sessions WHERE created < ?", (now - SESSION_KEEP_S,))
            self._touch_user(db, user_id, display_name, now)
            db.execute(f"INSERT INTO sessions ({_SESSION_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, 0, 0, ?, ?, NULL, 0)",
                       (session_id, user_id, guild_id, kind, topic, len(questions), now, now))
            db.executemany("INSERT INTO session_questions VALUES (?, ?, ?)", rows)

        self._submit(write)
        return Session(session_id, user_id, guild_id, kind, topic, len(questions), 0, 0, now, now, None,
                       tuple(questions))

    def get_session(self, session_id: str) -> Session | None:
        with self._lock:
            row = self._db.execute(f"SELECT {_SESSION_COLUMNS} FROM sessions WHERE id = ?", (session_id,)).fetchone()
            if row is None:
                return None
            questions = self._db.execute("SELECT question FROM session_questions WHERE session_id = ? "
                                         "ORDER BY position", (session_id,)).fetchall()
        return _session(row, tuple(json.loads(q) for (q,) in questions))

    @staticmethod
    def _current(db: sqlite3.Connection, session_id: str, position: int, user_id: int,
                 at: float) -> tuple[Session, dict[str, Any]]:
        """The live session and its question at ``position``, or :class:`QuizExpired` / :class:`NotYourQuiz`."""
        row = db.execute(f"SELECT {_SESSION_COLUMNS} FROM sessions WHERE id = ?", (session_id,)).fetchone()
        if row is None:
            raise QuizExpired()
        session = _session(row)
        if session.user_id != user_id:
            raise NotYourQuiz()
        if session.finished is not None or session.position != position or session.expired(at):
            raise QuizExpired()
        asked = db.execute("SELECT question FROM session_questions WHERE session_id = ? AND position = ?",
                           (session_id, position)).fetchone()
        if asked is None:
            raise QuizExpired()
        return session, json.loads(asked[0])

    def _apply_answer(self, db: sqlite3.Connection, user_id: int, display_name: str, guild_id: int | None,
                      question: dict[str, Any], choice: int, at: float, elapsed: float, hints: int,
                      session_id: str | None = None, position: int | None = None
                      ) -> tuple[bool, int, CardState, str, int]:
        """Grade one answer and record it: FSRS card, answer row, misconceptions.

        Returns (correct, rating, card, the misconception now on record or "", how many were cleared).
        A wrong choice with a ``why_wrong`` is kept as a misconception of this student; a right answer
        on the same question, given without reading the passage, clears every one recorded for it.
        """
        correct = choice == int(question["answer"])
        rating = rating_for(correct, elapsed, question.get("type", "choice"), hints)
        qid, topic = question["id"], question["topic"]
        previous = db.execute("SELECT state, step, stability, difficulty, due, last_review, reps, lapses "
                              "FROM cards WHERE user_id = ? AND question_id = ?", (user_id, qid)).fetchone()
        card = review(_card(previous) if previous else None, rating, at, elapsed)
        self._touch_user(db, user_id, display_name, at)
        db.execute(
            "INSERT INTO cards VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(user_id, question_id) DO UPDATE "
            "SET topic = excluded.topic, state = excluded.state, step = excluded.step, "
            "stability = excluded.stability, difficulty = excluded.difficulty, due = excluded.due, "
            "last_review = excluded.last_review, reps = excluded.reps, lapses = excluded.lapses",
            (user_id, qid, topic, card.state, card.step, card.stability, card.difficulty, card.due,
             card.last_review, card.reps, card.lapses))
        db.execute("INSERT INTO answers (user_id, guild_id, session_id, position, question_id, topic, correct, "
                   "rating, elapsed_ms, answered, hints) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                   (user_id, guild_id, session_id, position, qid, topic, int(correct), int(rating),
                    int(elapsed * 1000), at, hints))
        misconception, cleared = "", 0
        why = list(question.get("why_wrong") or ())
        if not correct and 0 <= choice < len(why) and why[choice]:
            misconception = why[choice]
            db.execute(
                "INSERT INTO misconceptions VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1) "
                "ON CONFLICT(user_id, question_id, choice) DO UPDATE SET last_shown = excluded.last_shown, "
                "why_wrong = excluded.why_wrong, times = misconceptions.times + 1",
                (user_id, qid, topic, question["section"], question["choices"][choice], misconception, at, at))
        elif correct and hints < HINT_STEPS:
            cleared = db.execute("DELETE FROM misconceptions WHERE user_id = ? AND question_id = ?",
                                 (user_id, qid)).rowcount
        return correct, int(rating), card, misconception, int(cleared)

    def record_answer(self, session_id: str, position: int, choice: int, user_id: int, display_name: str = "",
                      now: float | None = None) -> GradedAnswer:
        """Grade and store one answer atomically; raises :class:`QuizExpired` / :class:`NotYourQuiz`.

        When this returns, the answer, the card, any misconception and the session's new position
        are committed.
        """

        def write(db: sqlite3.Connection) -> GradedAnswer:
            at = time.time() if now is None else now
            session, question = self._current(db, session_id, position, user_id, at)
            if not 0 <= choice < len(question["choices"]):
                raise QuizExpired()
            elapsed = max(0.0, at - session.shown_at)
            correct, rating, card, misconception, cleared = self._apply_answer(
                db, user_id, display_name, session.guild_id, question, choice, at, elapsed, session.hints,
                session_id, position)
            finished = at if position + 1 >= session.total else None
            db.execute("UPDATE sessions SET position = ?, correct = correct + ?, shown_at = ?, finished = ?, "
                       "hints = 0 WHERE id = ?", (position + 1, int(correct), at, finished, session_id))
            next_question = None
            if finished is None:
                following = db.execute("SELECT question FROM session_questions WHERE session_id = ? AND position = ?",
                                       (session_id, position + 1)).fetchone()
                next_question = json.loads(following[0]) if following else None
            after = Session(session.id, session.user_id, session.guild_id, session.kind, session.topic, session.total,
                            position + 1, session.correct + int(correct), session.created, at, finished)
            return GradedAnswer(after, question, next_question, position, choice, correct, rating, elapsed, card,
                                session.hints, misconception, cleared)

        return self._submit(write)

    def take_hint(self, session_id: str, position: int, user_id: int,
                  now: float | None = None) -> tuple[Session, dict[str, Any], int]:
        """One more hint step on the current question (at most :data:`HINT_STEPS`); returns the
        session, the question and the step now reached. The answer will be graded with it."""

        def write(db: sqlite3.Connection) -> tuple[Session, dict[str, Any], int]:
            at = time.time() if now is None else now
            session, question = self._current(db, session_id, position, user_id, at)
            level = min(session.hints + 1, HINT_STEPS)
            db.execute("UPDATE sessions SET hints = ? WHERE id = ?", (level, session_id))
            return session, question, level

        return self._submit(write)

    # ------------------------------------------------------------------ misconceptions

    def misconceptions(self, user_id: int, limit: int = 50) -> list[Misconception]:
        """The misconceptions a student has shown and not yet corrected, most recent first."""
        rows = self._read("SELECT question_id, topic, section, choice, why_wrong, first_shown, last_shown, times "
                          "FROM misconceptions WHERE user_id = ? ORDER BY last_shown DESC LIMIT ?", (user_id, limit))
        return [Misconception(r[0], r[1], r[2], r[3], r[4], float(r[5]), float(r[6]), int(r[7])) for r in rows]

    # ------------------------------------------------------------------ question of the day

    def set_daily(self, guild_id: int, channel_id: int, time_utc: str, last_date: str | None,
                  now: float | None = None) -> DailySchedule:
        """Set (or move) a server's question of the day. ``last_date``: the UTC date already
        handled, so a time set after today's slot starts tomorrow."""
        at = time.time() if now is None else now

        def write(db: sqlite3.Connection) -> None:
            db.execute("INSERT INTO daily_schedules VALUES (?, ?, ?, ?, ?) ON CONFLICT(guild_id) DO UPDATE SET "
                       "channel_id = excluded.channel_id, time_utc = excluded.time_utc, "
                       "last_date = excluded.last_date", (guild_id, channel_id, time_utc, last_date, at))

        self._submit(write)
        return DailySchedule(guild_id, channel_id, time_utc, last_date)

    def clear_daily(self, guild_id: int) -> bool:
        return bool(self._submit(lambda db: db.execute("DELETE FROM daily_schedules WHERE guild_id = ?",
                                                      (guild_id,)).rowcount))

    def daily_schedules(self) -> list[DailySchedule]:
        rows = self._read("SELECT guild_id, channel_id, time_utc, last_date FROM daily_schedules ORDER BY guild_id")
        return [DailySchedule(int(g), int(c), t, d) for g, c, t, d in rows]

    def daily_schedule(self, guild_id: int) -> DailySchedule | None:
        return next((s for s in self.daily_schedules() if s.guild_id == guild_id), None)

    def claim_daily(self, guild_id: int, day: str) -> bool:
        """Mark ``day`` handled for a server; True only for the one caller that changed it, so a
        question is never posted twice for a day, not even by two processes or after a restart."""
        return bool(self._submit(lambda db: db.execute(
            "UPDATE daily_schedules SET last_date = ? WHERE guild_id = ? AND (last_date IS NULL OR last_date < ?)",
            (day, guild_id, day)).rowcount))

    def create_daily_post(self, post_id: str, guild_id: int, channel_id: int, day: str, question: dict[str, Any],
                          now: float | None = None) -> DailyPost:
        at = time.time() if now is None else now
        self._submit(lambda db: db.execute(f"INSERT INTO daily_posts ({_DAILY_POST_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)",
                                           (post_id, guild_id, channel_id, day,
                                            json.dumps(question, ensure_ascii=False), at)))
        return DailyPost(post_id, guild_id, channel_id, day, question, at)

    def daily_posts(self, guild_id: int) -> list[DailyPost]:
        rows = self._read(f"SELECT {_DAILY_POST_COLUMNS} FROM daily_posts WHERE guild_id = ? ORDER BY posted",
                          (guild_id,))
        return [_daily_post(r) for r in rows]

    @staticmethod
    def _daily(db: sqlite3.Connection, post_id: str) -> DailyPost:
        row = db.execute(f"SELECT {_DAILY_POST_COLUMNS} FROM daily_posts WHERE id = ?", (post_id,)).fetchone()
        if row is None:
            raise QuizExpired("that question of the day is no longer available")
        return _daily_post(row)

    def daily_hint(self, post_id: str, user_id: int, display_name: str = "",
                   now: float | None = None) -> tuple[DailyPost, int, bool]:
        """One more hint step on a question of the day for one student; (post, step, answered already)."""

        def write(db: sqlite3.Connection) -> tuple[DailyPost, int, bool]:
            at = time.time() if now is None else now
            post = self._daily(db, post_id)
            row = db.execute("SELECT hints, choice FROM daily_responses WHERE post_id = ? AND user_id = ?",
                             (post_id, user_id)).fetchone()
            if row is not None and row[1] is not None:
                return post, int(row[0]), True
            level = min((int(row[0]) if row else 0) + 1, HINT_STEPS)
            self._touch_user(db, user_id, display_name, at)
            db.execute("INSERT INTO daily_responses (post_id, user_id, hints) VALUES (?, ?, ?) "
                       "ON CONFLICT(post_id, user_id) DO UPDATE SET hints = excluded.hints", (post_id, user_id, level))
            return post, level, False

        return self._submit(write)

    def record_daily_answer(self, post_id: str, choice: int, user_id: int, display_name: str = "",
                            now: float | None = None) -> DailyAnswer:
        """A student's one answer to a question of the day: graded and scheduled like any answer and
        counted for the server's leaderboard; a second press only reports the first answer."""

        def write(db: sqlite3.Connection) -> DailyAnswer:
            at = time.time() if now is None else now
            post = self._daily(db, post_id)
            question = post.question
            if not 0 <= choice < len(question["choices"]):
                raise QuizExpired("that question of the day is no longer available")
            row = db.execute("SELECT hints, choice, correct FROM daily_responses WHERE post_id = ? AND user_id = ?",
                             (post_id, user_id)).fetchone()
            hints = int(row[0]) if row else 0
            if row is not None and row[1] is not None:
                return DailyAnswer(post, int(row[1]), bool(row[2]), 0, None, hints, already=True)
            correct, rating, card, misconception, cleared = self._apply_answer(
                db, user_id, display_name, post.guild_id, question, choice, at, max(0.0, at - post.posted), hints)
            db.execute("INSERT INTO daily_responses VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(post_id, user_id) DO UPDATE "
                       "SET choice = excluded.choice, correct = excluded.correct, answered = excluded.answered",
                       (post_id, user_id, hints, choice, int(correct), at))
            return DailyAnswer(post, choice, correct, rating, card, hints, misconception, cleared)

        return self._submit(write)

    # ------------------------------------------------------------------ cards and progress

    def cards(self, user_id: int) -> list[CardRow]:
        rows = self._read("SELECT question_id, topic, state, step, stability, difficulty, due, last_review, reps, "
                          "lapses FROM cards WHERE user_id = ?", (user_id,))
        return [CardRow(r[0], r[1], _card(r[2:])) for r in rows]

    def due_cards(self, user_id: int, now: float, limit: int = 10) -> list[CardRow]:
        rows = self._read("SELECT question_id, topic, state, step, stability, difficulty, due, last_review, reps, "
                          "lapses FROM cards WHERE user_id = ? AND due <= ? ORDER BY due LIMIT ?",
                          (user_id, now, limit))
        return [CardRow(r[0], r[1], _card(r[2:])) for r in rows]

    def topic_answer_counts(self, user_id: int) -> dict[str, tuple[int, int]]:
        """topic -> (answers, correct answers)."""
        rows = self._read("SELECT topic, COUNT(*), SUM(correct) FROM answers WHERE user_id = ? GROUP BY topic",
                          (user_id,))
        return {t: (int(n), int(c or 0)) for t, n, c in rows}

    def answer_days(self, user_id: int) -> list[str]:
        """Distinct UTC dates (YYYY-MM-DD) with at least one answer, newest first."""
        rows = self._read("SELECT DISTINCT date(answered, 'unixepoch') AS d FROM answers WHERE user_id = ? "
                          "ORDER BY d DESC", (user_id,))
        return [r[0] for r in rows]

    def daily_counts(self, user_id: int, since: float) -> dict[str, tuple[int, int]]:
        """UTC date -> (answers, correct) since ``since``."""
        rows = self._read("SELECT date(answered, 'unixepoch'), COUNT(*), SUM(correct) FROM answers "
                          "WHERE user_id = ? AND answered >= ? GROUP BY 1", (user_id, since))
        return {d: (int(n), int(c or 0)) for d, n, c in rows}

    def leaderboard(self, guild_id: int, since: float, limit: int = 10) -> list[tuple[int, str, int, int]]:
        """(user_id, display_name, correct, answered) for one guild since ``since``, best first."""
        rows = self._read(
            "SELECT a.user_id, u.display_name, SUM(a.correct) AS c, COUNT(*) AS n FROM answers a "
            "JOIN users u ON u.user_id = a.user_id WHERE a.guild_id = ? AND a.answered >= ? "
            "GROUP BY a.user_id ORDER BY c DESC, n ASC, MIN(a.answered) ASC LIMIT ?", (guild_id, since, limit))
        return [(int(u), name or "", int(c), int(n)) for u, name, c, n in rows]

    def user_rank(self, guild_id: int, since: float, user_id: int) -> tuple[int, int, int] | None:
        """(rank, correct, answered) of one user on a guild's board, or None if they have no answers."""
        mine = self._read("SELECT SUM(correct), COUNT(*), MIN(answered) FROM answers WHERE guild_id = ? AND "
                          "answered >= ? AND user_id = ?", (guild_id, since, user_id))
        if not mine or not mine[0][1]:
            return None
        correct, answered, first = int(mine[0][0] or 0), int(mine[0][1]), float(mine[0][2])
        ahead = self._read(
            "SELECT COUNT(*) FROM (SELECT SUM(correct) AS c, COUNT(*) AS n, MIN(answered) AS f FROM answers "
            "WHERE guild_id = ? AND answered >= ? GROUP BY user_id) "
            "WHERE c > ? OR (c = ? AND n < ?) OR (c = ? AND n = ? AND f < ?)",
            (guild_id, since, correct, correct, answered, correct, answered, first))
        return int(ahead[0][0]) + 1, correct, answered

    def user_totals(self, user_id: int, since: float = 0.0) -> tuple[int, int]:
        """(answers, correct) of a user since ``since``."""
        rows = self._read("SELECT COUNT(*), SUM(correct) FROM answers WHERE user_id = ? AND answered >= ?",
                          (user_id, since))
        return int(rows[0][0]), int(rows[0][1] or 0)

    def count_answers(self) -> int:
        return int(self._read("SELECT COUNT(*) FROM answers")[0][0])

    # ------------------------------------------------------------------ privacy

    def _user_tables(self, db: sqlite3.Connection | None = None) -> list[str]:
        """Every table with a ``user_id`` column except ``users`` (found, so new tables are covered)."""
        if db is None:
            if self._closed:
                raise StoreClosed(self.path)
            with self._lock:
                return self._user_tables(self._db)
        names = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        tables = [n for n in names if n != "users"
                  and any(c[1] == "user_id" for c in db.execute(f"PRAGMA table_info({n})"))]
        # answers first: their ON DELETE SET NULL would otherwise rewrite them before deleting them
        return sorted(tables, key=lambda n: (n != "answers", n))

    def user_row_counts(self, user_id: int) -> dict[str, int]:
        return {table: int(self._read(f"SELECT COUNT(*) FROM {table} WHERE user_id = ?", (user_id,))[0][0])
                for table in self._user_tables()}

    def forget_user(self, user_id: int) -> dict[str, int]:
        """Delete every row about ``user_id`` in every table that has one; returns how many of each."""
        def write(db: sqlite3.Connection) -> dict[str, int]:
            # The tables are read inside the write job, so a call after shutdown raises
            # StoreClosed at once instead of touching a closed connection.
            counts = {table: db.execute(f"DELETE FROM {table} WHERE user_id = ?", (user_id,)).rowcount
                      for table in self._user_tables(db)}  # session_questions go with their sessions
            counts["users"] = db.execute("DELETE FROM users WHERE user_id = ?", (user_id,)).rowcount
            return {k: int(v) for k, v in counts.items()}

        return self._submit(write)

    def integrity_check(self) -> str:
        return str(self._read("PRAGMA integrity_check")[0][0])


_STORES: dict[Path, LearningStore] = {}
_STORES_LOCK = threading.Lock()


def get_store(path: Path) -> LearningStore:
    """The process-wide store for ``path`` (opened, and migrated, on first use)."""
    path = Path(path)
    store = _STORES.get(path)  # fast path: no lock, no filesystem call
    if store is not None:
        return store
    with _STORES_LOCK:
        key = path.resolve()
        store = _STORES.get(key)
        if store is None:
            store = _STORES[key] = LearningStore(key)
        _STORES[path] = store
        return store


def close_store(path: Path) -> None:
    """Close the process-wide store of ``path``, if one is open (the next get_store reopens it)."""
    path = Path(path)
    with _STORES_LOCK:
        key = path.resolve()
        store = _STORES.get(key) or _STORES.get(path)
        for alias in [p for p, s in _STORES.items() if s is store]:
            del _STORES[alias]
    if store is not None:
        store.close()


def close_stores() -> None:
    """Close every cached store (tests use it to simulate a restart)."""
    with _STORES_LOCK:
        for store in set(_STORES.values()):
            store.close()
        _STORES.clear()


def store_for(services: Any) -> LearningStore:
    """The learning store of a :class:`bot.services.Services` (``<data_dir>/learning.db``)."""
    return get_store(Path(services.settings.data_dir) / DB_FILENAME)
