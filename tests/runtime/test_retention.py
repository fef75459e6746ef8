"""Retention: old saved answers, votes and usage rows are pruned (at start and daily), and the
gap log keeps a bounded number of entries per server."""

from __future__ import annotations

import asyncio
import time
from unittest import mock

import numpy as np

from bot.runtime.housekeeping import prune_daily
from bot.runtime.storage import Store
from bot.services import Services
from bot.settings import Settings
from knowledge.embedder import EMBEDDING_DIM, Embedder
from knowledge.gaps import GapLog

DAY = 86400.0


def _embedder() -> Embedder:
    fake = mock.create_autospec(Embedder, spec_set=True, instance=True)
    fake.encode_one.side_effect = lambda text: np.ones(EMBEDDING_DIM, dtype=np.float32) / np.sqrt(EMBEDDING_DIM)
    return fake


def _rows(store: Store, table: str) -> int:
    with store._lock:
        return int(store._db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])


def test_old_answers_votes_and_usage_are_pruned_and_recent_ones_kept(tmp_path):
    store = Store(tmp_path / "tutor.db")
    now = time.time()
    store.save_answer("new1", "q", "a", False, [], [], 1, 2)
    store.save_answer("old1", "q", "a", False, [], [], 1, 2)
    store.vote("new1", 5, 1)
    store.vote("old1", 5, -1)
    store.log_usage("ask", "ok", 1.0, 1, 2)
    store.log_usage("ask", "ok", 1.0, 1, 2)
    with store._lock:  # age one of each by 91 days
        store._db.execute("UPDATE answers SET created = ? WHERE id = 'old1'", (now - 91 * DAY,))
        store._db.execute("UPDATE usage SET ts = ? WHERE rowid = (SELECT MIN(rowid) FROM usage)", (now - 91 * DAY,))
    assert store.prune(90 * DAY, now) == {"answers": 1, "votes": 1, "usage": 1}
    assert store.get_answer("old1") is None and store.get_answer("new1") is not None
    assert store.votes("new1") == (1, 0) and _rows(store, "usage") == 1
    assert store.prune(90 * DAY, now) == {"answers": 0, "votes": 0, "usage": 0}
    store.close()


def test_the_gap_log_keeps_the_newest_entries_of_each_server(tmp_path):
    gaps = GapLog(tmp_path / "notes.db", _embedder())
    with mock.patch("knowledge.gaps.MAX_ROWS_PER_GUILD", 3):
        ids = [gaps.record(1, f"question {i}", 0.1) for i in range(5)]
    gaps.record(2, "another server", 0.1)
    with gaps._lock:
        kept = [r[0] for r in gaps._db.execute("SELECT id FROM gaps WHERE guild_id = 1 ORDER BY id")]
    assert kept == ids[-3:]  # the oldest went first
    for i in range(4):
        gaps.record(2, f"more {i}", 0.1)
    assert gaps.trim(keep=2) == 1 + 3  # server 1 had 3, server 2 had 5
    with gaps._lock:
        per_guild = dict(gaps._db.execute("SELECT guild_id, COUNT(*) FROM gaps GROUP BY guild_id").fetchall())
    assert per_guild == {1: 2, 2: 2}
    gaps.close()


def test_the_bot_prunes_at_start_and_then_every_interval(tmp_path):
    settings = Settings(data_dir=tmp_path / "var", retention_days=30)
    services = Services(settings)
    store = services.chat_store
    store.log_usage("ask", "ok", 1.0, 1, 2)
    with store._lock:
        store._db.execute("UPDATE usage SET ts = ?", (time.time() - 31 * DAY,))

    async def main() -> None:
        task = asyncio.create_task(prune_daily(services, interval_s=0.05))
        for _ in range(200):
            if _rows(store, "usage") == 0:
                break
            await asyncio.sleep(0.05)
        assert _rows(store, "usage") == 0  # pruned on start
        store.log_usage("ask", "ok", 1.0, 1, 2)
        with store._lock:
            store._db.execute("UPDATE usage SET ts = ?", (time.time() - 31 * DAY,))
        for _ in range(200):
            if _rows(store, "usage") == 0:
                break
            await asyncio.sleep(0.05)
        assert _rows(store, "usage") == 0  # and again on the next round
        task.cancel()

    asyncio.run(main())
    services.close()
