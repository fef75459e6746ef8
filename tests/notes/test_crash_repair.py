"""Crash safety: a process SIGKILLed in the middle of adding (or removing) a note leaves SQLite and
the FAISS file out of step; opening the store again detects the drift and repairs it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from knowledge.notes import NoteStore, PART_BITS

ROOT = Path(__file__).resolve().parents[2]
GUILD = 777

WORKER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    import knowledge.notes as notes
    from knowledge.embedder import get_embedder

    data, mode = Path(sys.argv[1]), sys.argv[2]
    store = notes.NoteStore.open(data / "notes.db", get_embedder(), data / "notes")
    if mode in ("add", "torn"):
        for i in range(3):
            store.add(777, f"note {i}", f"Study group {i} meets on day {i} in the library, bring snacks.", None, 1, "ada")
    real = notes.write_index_atomically

    def stall(index, path):
        if mode == "torn":                # die half-way through writing the temp file
            (path.parent / (".%s.x.tmp" % path.name)).write_bytes(b"partial")
        print("COMMITTED", flush=True)   # SQLite has the change, the FAISS file does not yet
        time.sleep(120)
        real(index, path)

    notes.write_index_atomically = stall
    if mode in ("add", "torn"):
        store.add(777, "office hours", "Office hours are on Thursday at 5pm in room B12 with the TA.", None, 1, "ada")
    else:
        store.remove(777, int(mode.split(":")[1]))
""")


def run_and_kill(data: Path, mode: str) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-c", WORKER, str(data), mode], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT)
    try:
        line = proc.stdout.readline()
        assert line.strip() == "COMMITTED", proc.stderr.read()
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        assert proc.returncode == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()


def faiss_note_ids(store: NoteStore) -> set[int]:
    stale, missing = store.drift(GUILD)
    assert (stale, missing) == (set(), set())
    import faiss

    from knowledge.notes import index_ids

    return {fid >> PART_BITS for fid in index_ids(faiss.read_index(str(store.index_path(GUILD))))}


def test_sigkill_during_add_then_remove_is_repaired_on_open(tmp_path, embedder):
    data = tmp_path / "var"
    run_and_kill(data, "add")
    # On disk now: 4 notes in SQLite, only 3 in the FAISS file.
    store = NoteStore(data / "notes.db", embedder, data / "notes")
    stale, missing = store.drift(GUILD)
    assert not stale and {fid >> PART_BITS for fid in missing} == {4}
    store.close()

    store = NoteStore.open(data / "notes.db", embedder, data / "notes")
    assert [r.reembedded_notes for r in store.repairs] == [1]
    assert faiss_note_ids(store) == {n.id for n in store.notes_of(GUILD)} == {1, 2, 3, 4}
    qvec = embedder.encode_one("when are office hours?")
    hits = store.search(GUILD, qvec, 5)
    assert hits is not None and max(hits.dense, key=hits.dense.get) >> PART_BITS == 4
    store.close()

    run_and_kill(data, "remove:2")
    # Now SQLite lost note 2 but the FAISS file still has it: stale ids are dropped on open.
    store = NoteStore.open(data / "notes.db", embedder, data / "notes")
    assert [r.stale_ids for r in store.repairs] == [1]
    assert faiss_note_ids(store) == {n.id for n in store.notes_of(GUILD)} == {1, 3, 4}
    store.close()


def test_sigkill_while_writing_the_index_leaves_no_torn_file(tmp_path, embedder):
    data = tmp_path / "var"
    run_and_kill(data, "torn")
    assert list((data / "notes").glob(".*.tmp"))
    store = NoteStore.open(data / "notes.db", embedder, data / "notes")
    assert not list((data / "notes").glob(".*.tmp"))
    assert faiss_note_ids(store) == {1, 2, 3, 4}
    store.close()
