"""One migration runner for every database: old files are migrated forward with their data, a
``;`` inside SQL text is safe, a newer file is refused, and a process holds one connection per file."""

from __future__ import annotations

import sqlite3
from unittest.mock import create_autospec

import numpy as np
import pytest

from bot.learning.store import LearningStore
from bot.runtime.storage import Store
from knowledge.embedder import EMBEDDING_DIM, Embedder
from knowledge.gaps import GapLog
from knowledge.notes import NoteStore
from tools.migrations import load_migrations, open_database, split_statements

# How the files looked before the numbered SQL files (copied from the code of that time).
OLD_NOTES_DB = """
CREATE TABLE notes (
    id INTEGER PRIMARY KEY AUTOINCREMENT, guild_id INTEGER NOT NULL, title TEXT NOT NULL, topic TEXT,
    body TEXT NOT NULL, author_id INTEGER, author_name TEXT NOT NULL DEFAULT '', created REAL NOT NULL,
    sha256 TEXT NOT NULL
);
CREATE INDEX notes_guild ON notes(guild_id, id);
INSERT INTO notes (guild_id, title, topic, body, author_id, author_name, created, sha256)
    VALUES (7, 'Office hours', NULL, 'Thursdays at 5pm; room B12.', 1, 'Ada', 0, 'x');
PRAGMA user_version = 1;
"""
OLD_TUTOR_DB = """
CREATE TABLE IF NOT EXISTS answers (id TEXT PRIMARY KEY, created REAL NOT NULL, user_id INTEGER,
    guild_id INTEGER, question TEXT NOT NULL, answer TEXT NOT NULL, abstained INTEGER NOT NULL,
    sources TEXT NOT NULL, passages TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS feedback (answer_id TEXT NOT NULL REFERENCES answers(id), user_id INTEGER NOT NULL,
    vote INTEGER NOT NULL CHECK (vote IN (-1, 1)), created REAL NOT NULL, PRIMARY KEY (answer_id, user_id));
CREATE TABLE IF NOT EXISTS usage (ts REAL NOT NULL, user_id INTEGER, guild_id INTEGER, command TEXT NOT NULL,
    outcome TEXT NOT NULL, ms REAL NOT NULL);
CREATE INDEX IF NOT EXISTS usage_ts ON usage(ts);
INSERT INTO answers VALUES ('abc123', 0, 1, 2, 'q?', 'a.', 0, '[]', '["p1"]');
INSERT INTO feedback VALUES ('abc123', 10, -1, 0);
"""


def one_vector_embedder() -> Embedder:
    """An Embedder double with the real class's signatures: every text gets the same unit vector."""
    embedder = create_autospec(Embedder, instance=True, spec_set=True)
    embedder.encode_one.return_value = np.eye(1, EMBEDDING_DIM, dtype=np.float32)[0]
    return embedder


def _old_file(path, script: str) -> None:
    db = sqlite3.connect(path)
    db.executescript(script)
    db.close()


def _versions(path) -> list[tuple[int, str]]:
    db = sqlite3.connect(path)
    try:
        return db.execute("SELECT version, name FROM schema_migrations ORDER BY version").fetchall()
    finally:
        db.close()


def test_an_old_notes_db_is_migrated_forward_with_its_notes(tmp_path):
    path = tmp_path / "notes.db"
    _old_file(path, OLD_NOTES_DB)
    gaps = GapLog(path, one_vector_embedder())  # the gap log table came in migration 2
    # 1 adopted from user_version, 2 and 3 applied
    assert _versions(path) == [(1, "notes"), (2, "gap_log"), (3, "gap_asker")]
    assert gaps.record(7, "when is the exam?", 0.2, user_id=5) is not None
    assert [g.example for g in gaps.groups(7)] == ["when is the exam?"]
    db = sqlite3.connect(path)
    assert db.execute("SELECT title, author_name FROM notes").fetchall() == [("Office hours", "Ada")]
    db.close()
    gaps.close()


def test_an_old_tutor_db_keeps_its_answers_and_votes(tmp_path):
    path = tmp_path / "tutor.db"
    _old_file(path, OLD_TUTOR_DB)
    store = Store(path)
    assert _versions(path) == [(1, "answers_feedback_usage"), (2, "server_settings")]  # 1 adopted, 2 applied
    assert store.get_answer("abc123").passages == ["p1"] and store.votes("abc123") == (0, 1)
    store.close()


def test_a_learning_db_from_the_old_runner_opens_unchanged(tmp_path):
    path = tmp_path / "learning.db"
    LearningStore(path).close()
    db = sqlite3.connect(path)
    db.execute("UPDATE schema_migrations SET name = 'users, sessions, answers, cards' WHERE version = 1")  # the old name
    db.commit()
    db.close()
    store = LearningStore(path)
    assert store.schema_version() == 2
    assert _versions(path) == [(1, "users, sessions, answers, cards"), (2, "hints_misconceptions_daily")]
    store.close()


def test_statements_split_at_their_end_not_at_every_semicolon():
    script = "-- a comment; not a statement\nCREATE TABLE t (x TEXT DEFAULT ';');\n\nINSERT INTO t VALUES ('a;b');\n"
    assert split_statements(script) == ["CREATE TABLE t (x TEXT DEFAULT ';');", "INSERT INTO t VALUES ('a;b');"]
    with pytest.raises(ValueError, match="incomplete"):
        split_statements("CREATE TABLE t (x TEXT")


def test_migrations_must_be_numbered_without_gaps(tmp_path):
    (tmp_path / "0001_first.sql").write_text("CREATE TABLE a (x);\n")
    (tmp_path / "0003_third.sql").write_text("CREATE TABLE c (x);\n")
    with pytest.raises(ValueError, match="without gaps"):
        load_migrations(tmp_path)


def test_a_file_migrated_by_newer_code_is_refused(tmp_path):
    folder = tmp_path / "migrations"
    folder.mkdir()
    (folder / "0001_first.sql").write_text("CREATE TABLE a (x);\n")
    path = tmp_path / "x.db"
    open_database(path, folder).close()
    db = sqlite3.connect(path)
    db.execute("INSERT INTO schema_migrations VALUES (2, 'future', 0)")
    db.commit()
    db.close()
    for _ in range(2):  # refused every time: a refused file leaves no connection behind to reuse
        with pytest.raises(RuntimeError, match="newer"):
            open_database(path, folder)


def test_the_notes_and_the_gap_log_share_one_connection(tmp_path):
    notes = NoteStore(tmp_path / "notes.db", one_vector_embedder(), tmp_path / "notes")
    gaps = GapLog(tmp_path / "notes.db", one_vector_embedder())
    assert notes._db is gaps._db and notes._lock is gaps._lock
    notes.close()
    assert gaps.record(3, "still writable after the notes closed", None) is not None
    gaps.close()
    with pytest.raises(sqlite3.ProgrammingError):
        gaps.groups(3)


def test_server_settings_live_in_tutor_db_next_to_the_answers(tmp_path):
    from bot.runtime.server_settings import MAX_FORUMS_PER_GUILD, ServerSettings
    from bot.runtime.storage import Store

    path = tmp_path / "tutor.db"
    store = Store(path)
    settings = ServerSettings(path)
    assert settings.add_forum(1, 100) and not settings.add_forum(1, 100)
    settings.set_auto_thread(1, True)
    assert settings.forums(1) == {100} and settings.forums(2) == frozenset()
    for channel in range(1, MAX_FORUMS_PER_GUILD):
        settings.add_forum(1, 100 + channel)
    with pytest.raises(ValueError, match="at most"):
        settings.add_forum(1, 999)
    store.close()
    settings.close()
    reopened = ServerSettings(path)  # what a restarted bot reads
    assert reopened.auto_thread(1) and not reopened.auto_thread(2)
    assert 100 in reopened.forums(1) and reopened.remove_forum(1, 100) and 100 not in reopened.forums(1)
    reopened.close()
