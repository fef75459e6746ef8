"""The learning store: migrations, persistence across a restart, concurrency, privacy."""

from __future__ import annotations

import sqlite3
import threading
import time

import pytest

from bot.learning.store import (
    SCHEMA_VERSION, SESSION_TTL_S, LearningStore, NotYourQuiz, QuizExpired, close_stores, get_store,
)

QUESTION = {"id": "relu-x", "topic": "relu", "type": "choice", "prompt": "?", "choices": ["a", "b", "c", "d"],
            "answer": 2, "explanation": "e", "section": "The math"}


def _questions(n: int) -> list[dict]:
    return [{**QUESTION, "id": f"relu-q{i}"} for i in range(n)]


def test_schema_is_versioned_wal_with_foreign_keys(tmp_path):
    path = tmp_path / "learning.db"
    store = LearningStore(path)
    assert store.schema_version() == SCHEMA_VERSION
    store.close()
    LearningStore(path).close()  # reopening applies nothing twice
    db = sqlite3.connect(path)
    assert db.execute("SELECT COUNT(*) FROM schema_migrations").fetchone()[0] == SCHEMA_VERSION
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    fks = {row[2] for row in db.execute("PRAGMA foreign_key_list(answers)")}
    assert "users" in fks and "sessions" in fks
    store = LearningStore(path)
    with pytest.raises(sqlite3.IntegrityError):  # foreign keys are enforced on our connection
        store._db.execute("INSERT INTO cards (user_id, question_id, topic, state, due) VALUES (99, 'x', 'relu', 1, 0)")
    store.close()


def test_a_newer_schema_is_refused(tmp_path):
    path = tmp_path / "learning.db"
    LearningStore(path).close()
    db = sqlite3.connect(path)
    db.execute("INSERT INTO schema_migrations VALUES (99, 'future', 0)")
    db.commit()
    db.close()
    with pytest.raises(RuntimeError, match="newer"):
        LearningStore(path)


def test_answers_cards_and_sessions_survive_a_restart(tmp_path):
    path = tmp_path / "learning.db"
    store = get_store(path)
    assert get_store(path) is store  # one store per path per process
    store.create_session("a" * 12, 7, 42, "ada", "quiz", "relu", _questions(3))
    first = store.record_answer("a" * 12, 0, 2, 7)
    assert first.correct and first.card.learned
    close_stores()  # the process "restarts"

    store = get_store(path)
    session = store.get_session("a" * 12)
    assert session is not None and session.position == 1 and session.correct == 1
    second = store.record_answer("a" * 12, 1, 0, 7)  # the next button still works
    assert not second.correct
    assert {row.question_id: row.card.learned for row in store.cards(7)} == {"relu-q0": True, "relu-q1": False}
    assert store.user_totals(7) == (2, 1)
    close_stores()


def test_stale_forged_and_foreign_presses_are_rejected(tmp_path):
    store = LearningStore(tmp_path / "learning.db")
    store.create_session("b" * 12, 1, None, "", "quiz", "relu", _questions(2), now=1000.0)
    store.record_answer("b" * 12, 0, 1, 1, now=1001.0)
    with pytest.raises(QuizExpired, match="expired, start a new /quiz"):
        store.record_answer("b" * 12, 0, 1, 1, now=1002.0)  # the same button pressed twice
    with pytest.raises(QuizExpired):
        store.record_answer("c" * 12, 0, 1, 1)  # no such session
    with pytest.raises(QuizExpired):
        store.record_answer("b" * 12, 1, 9, 1, now=1003.0)  # no such option
    with pytest.raises(NotYourQuiz, match="someone else"):
        store.record_answer("b" * 12, 1, 1, 2, now=1003.0)
    with pytest.raises(QuizExpired):
        store.record_answer("b" * 12, 1, 1, 1, now=1000.0 + SESSION_TTL_S + 1)
    assert store.count_answers() == 1
    store.close()


def test_concurrent_answers_from_many_threads_lose_nothing(tmp_path):
    store = LearningStore(tmp_path / "learning.db")
    users, per_user = 24, 10
    for u in range(users):
        store.create_session(f"{u:012x}", u, 5, f"user{u}", "quiz", "relu", _questions(per_user))
    errors: list[BaseException] = []
    start = threading.Barrier(users)

    def answer(u: int) -> None:
        try:
            start.wait()
            for i in range(per_user):
                store.record_answer(f"{u:012x}", i, i % 4, u)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=answer, args=(u,)) for u in range(users)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert store.count_answers() == users * per_user
    assert all(store.get_session(f"{u:012x}").finished for u in range(users))
    assert store.integrity_check() == "ok"
    store.close()


def test_racing_presses_on_one_question_record_exactly_one_answer(tmp_path):
    store = LearningStore(tmp_path / "learning.db")
    store.create_session("d" * 12, 3, None, "", "quiz", "relu", _questions(1))
    outcomes: list[str] = []
    start = threading.Barrier(8)

    def press() -> None:
        start.wait()
        try:
            store.record_answer("d" * 12, 0, 2, 3)
            outcomes.append("ok")
        except QuizExpired:
            outcomes.append("expired")

    threads = [threading.Thread(target=press) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["expired"] * 7 + ["ok"]
    assert store.count_answers() == 1
    store.close()


def test_forget_user_deletes_every_row_of_that_user_only(tmp_path):
    store = LearningStore(tmp_path / "learning.db")
    for user in (1, 2):
        sid = f"{user:012x}"
        store.create_session(sid, user, 9, f"u{user}", "quiz", "relu", _questions(2))
        store.record_answer(sid, 0, 2, user)
    assert store.forget_user(1) == {"sessions": 1, "answers": 1, "cards": 1, "daily_responses": 0, "misconceptions": 0, "users": 1}
    assert store.user_row_counts(1) == {"sessions": 0, "answers": 0, "cards": 0, "daily_responses": 0, "misconceptions": 0}
    assert store.user_row_counts(2) == {"sessions": 1, "answers": 1, "cards": 1, "daily_responses": 0, "misconceptions": 0}
    db = sqlite3.connect(tmp_path / "learning.db")
    for table in ("users", "sessions", "answers", "cards", "misconceptions", "daily_responses"):
        assert db.execute(f"SELECT COUNT(*) FROM {table} WHERE user_id = 1").fetchone()[0] == 0
    assert store.leaderboard(9, 0) == [(2, "u2", 1, 1)]
    store.close()


def test_weekly_leaderboard_ranks_by_correct_answers(tmp_path):
    store = LearningStore(tmp_path / "learning.db")
    now = time.time()
    for user, right in ((1, 3), (2, 1), (3, 2)):
        sid = f"{user:012x}"
        store.create_session(sid, user, 77, f"u{user}", "quiz", "relu", _questions(3), now=now)
        for i in range(3):
            store.record_answer(sid, i, 2 if i < right else 0, user, now=now)
    store.create_session("e" * 12, 4, 78, "other-guild", "quiz", "relu", _questions(1), now=now)
    store.record_answer("e" * 12, 0, 2, 4, now=now)
    board = store.leaderboard(77, now - 60)
    assert [(u, c, n) for u, _, c, n in board] == [(1, 3, 3), (3, 2, 3), (2, 1, 3)]
    assert store.user_rank(77, now - 60, 2) == (3, 1, 3)
    assert store.user_rank(77, now - 60, 4) is None
    assert store.leaderboard(77, now + 60) == []  # last week's answers do not count
    store.close()


def test_old_sessions_are_pruned_but_their_answers_stay(tmp_path):
    store = LearningStore(tmp_path / "learning.db")
    old = time.time() - 30 * 86400
    store.create_session("f" * 12, 1, None, "", "quiz", "relu", _questions(2), now=old)
    store.record_answer("f" * 12, 0, 2, 1, now=old + 5)
    store._last_prune = 0.0
    store.create_session("0" * 12, 1, None, "", "quiz", "relu", _questions(1))  # prunes on the way
    assert store.get_session("f" * 12) is None and store.get_session("0" * 12) is not None
    assert store.count_answers() == 1 and store.user_totals(1) == (1, 1)
    assert store._read("SELECT COUNT(*) FROM session_questions WHERE session_id = ?", ("f" * 12,))[0][0] == 0
    store.close()
