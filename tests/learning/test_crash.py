"""A writer killed with SIGKILL mid-stream loses no acknowledged answer and leaves the DB intact."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from bot.learning.store import LearningStore

WRITER = Path(__file__).with_name("crash_writer.py")
ACKS_BEFORE_KILL = 300


@pytest.mark.skipif(os.name != "posix", reason="SIGKILL is POSIX")
def test_sigkill_mid_stream_keeps_every_acknowledged_answer(tmp_path):
    db_path = tmp_path / "learning.db"
    child = subprocess.Popen([sys.executable, str(WRITER), str(db_path)], stdout=subprocess.PIPE, text=True)
    acks: list[tuple[str, int]] = []
    try:
        assert child.stdout is not None
        while len(acks) < ACKS_BEFORE_KILL:
            line = child.stdout.readline()
            assert line, f"writer exited early with status {child.poll()}"
            acks.append((line.split()[1], int(line.split()[2])))
        os.kill(child.pid, signal.SIGKILL)  # while it keeps writing
        for line in child.stdout:  # acks already written to the pipe before the kill
            if line.startswith("ack ") and line.endswith("\n"):
                acks.append((line.split()[1], int(line.split()[2])))
    finally:
        child.kill()
        child.wait(timeout=10)
    assert child.returncode == -signal.SIGKILL

    db = sqlite3.connect(db_path)
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    stored = set(db.execute("SELECT session_id, position FROM answers").fetchall())
    missing = [ack for ack in acks if ack not in stored]
    assert not missing, f"{len(missing)} acknowledged answers lost, e.g. {missing[:3]}"
    assert len(stored) >= len(acks)  # at most the one in flight was committed but not yet acknowledged
    db.close()

    store = LearningStore(db_path)  # reopens cleanly after the crash, and keeps working
    assert store.integrity_check() == "ok"
    assert store.count_answers() == len(stored)
    store.close()
