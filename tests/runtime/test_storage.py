import sqlite3

from bot.runtime.storage import Store


def test_answers_and_votes_survive_a_reopen(tmp_path):
    db = tmp_path / "t.db"
    store = Store(db)
    store.save_answer("abc123", "q?", "a.", False, [{"topic": "relu", "title": "ReLU", "section": "S"}], ["p1"], 1, 2)
    assert store.vote("abc123", 10, 1) and store.vote("abc123", 11, -1)
    assert store.vote("abc123", 10, -1)  # a user can change their vote
    assert not store.vote("missing", 10, 1)
    store.close()

    reopened = Store(db)
    assert reopened.votes("abc123") == (0, 2)
    answer = reopened.get_answer("abc123")
    assert answer is not None and answer.passages == ["p1"] and answer.sources[0]["topic"] == "relu"
    assert sqlite3.connect(db).execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_usage_stats(tmp_path):
    store = Store(tmp_path / "t.db")
    store.log_usage("ask", "ok", 12.0, 1, 5)
    store.log_usage("ask", "UserInputError", 3.0, 2, 5)
    store.log_usage("demo tuning", "ok", 900.0, 1, 5)
    stats = store.stats()
    assert stats["users"] == 2
    ask = next(r for r in stats["commands"] if r["command"] == "ask")
    assert ask == {"command": "ask", "count": 2, "avg_ms": 7.5, "errors": 1}
