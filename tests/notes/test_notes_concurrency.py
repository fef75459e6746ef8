"""Notes writes stay off the read path: an upload in one server holds no lock a search (or an
upload in another server) needs, and a search sees either the old or the new snapshot, whole."""

from __future__ import annotations

import threading
from unittest import mock

import numpy as np
import pytest

import knowledge.notes as notes_module
from knowledge.embedder import Embedder
from knowledge.notes import NoteStore

A, B = 1001, 2002
WAIT_S = 60  # generous: only a deadlock would reach it


def test_background_encode_gives_the_same_vectors_as_the_foreground(embedder):
    texts = [f"Office hours for week {i} are on Thursday at 5pm in room B12." for i in range(9)]
    fore = embedder.encode(texts)
    back = embedder.encode(texts, background=True)
    assert back.shape == fore.shape == (9, 384)
    np.testing.assert_allclose(back, fore, atol=1e-5)


def test_background_and_foreground_encodes_run_at_the_same_time(embedder):
    """Two threads through one model at once: a query encoded while a note is embedded gets the
    vector it gets alone (the embedder's locks no longer serialise them)."""
    note = ["Gradient clipping caps the norm of the gradient before the optimizer step. " * 12] * 16
    query = "why does my loss explode?"
    alone = embedder.encode_one(query)
    inside = threading.Event()
    release = threading.Event()
    real = embedder._encode
    held_too_long = []

    def gated(texts, batch_size, show_progress):
        if len(texts) > 1 and not inside.is_set():  # the note's first batch: hold it mid-encode
            inside.set()
            if not release.wait(WAIT_S):  # the query could not get through while it was held
                held_too_long.append(True)
        return real(texts, batch_size, show_progress)

    with mock.patch.object(embedder, "_encode", side_effect=gated):
        worker = threading.Thread(target=embedder.encode, args=(note,), kwargs={"background": True})
        worker.start()
        assert inside.wait(WAIT_S)
        during = embedder.encode_one(query)  # would deadlock if the background held the query's lock
        release.set()
        worker.join(WAIT_S)
    assert not worker.is_alive() and not held_too_long
    np.testing.assert_allclose(during, alone, atol=1e-5)


@pytest.fixture
def gated_store(tmp_path, embedder):
    """A store whose background embeddings wait at a gate, so a test can hold an upload mid-way."""
    fake = mock.create_autospec(Embedder, spec_set=True, instance=True)
    started, release = threading.Event(), threading.Event()
    gate = {"on": False}

    def encode(texts, batch_size=32, show_progress=False, background=False):
        if background and gate["on"]:
            started.set()
            assert release.wait(WAIT_S)
        return embedder.encode(texts, batch_size, show_progress, background)

    fake.encode.side_effect = encode
    fake.encode_one.side_effect = embedder.encode_one
    store = NoteStore.open(tmp_path / "notes.db", fake, tmp_path / "notes")
    yield store, gate, started, release
    release.set()
    store.close()


def _best_note(store: NoteStore, embedder, guild: int, query: str) -> int | None:
    hits = store.search(guild, embedder.encode_one(query), 5)
    if hits is None:
        return None
    return max(hits.dense, key=hits.dense.get) >> notes_module.PART_BITS


def test_an_upload_being_embedded_blocks_neither_search_nor_other_servers(gated_store, embedder):
    store, gate, started, release = gated_store
    office = store.add(A, "office hours", "Office hours are on Thursday at 5pm in room B12.", None, 1, "ada")
    gate["on"] = True
    big = "The project rubric gives marks for clear plots and a short write-up. " * 700  # ~50 KB
    upload = threading.Thread(target=store.add, args=(B, "rubric", big[: 50 * 1024 - 1], None, 2, "bo"))
    upload.start()
    assert started.wait(WAIT_S)  # B's upload is inside its embedding now
    assert _best_note(store, embedder, A, "when are office hours?") == office.id
    gate["on"] = False
    other = store.add(A, "exam", "The exam is on June 3rd in the main hall.", None, 1, "ada")  # A is not held up
    assert _best_note(store, embedder, A, "when is the exam?") == other.id
    assert store.search(B, embedder.encode_one("rubric"), 5) is None  # not there until it is done
    release.set()
    upload.join(WAIT_S)
    assert not upload.is_alive()
    assert [n.title for n in store.notes_of(B)] == ["rubric"]
    assert store.search(B, embedder.encode_one("project rubric marks"), 5) is not None


def test_a_search_during_a_write_sees_the_old_snapshot_whole(gated_store, embedder, monkeypatch):
    """B's write lock is held while its index file is written; a search in B does not wait for it
    and sees the notes as they were (every id it returns has its passage)."""
    store, gate, started, release = gated_store
    first = store.add(B, "office hours", "Office hours are on Thursday at 5pm in room B12.", None, 1, "ada")
    real_write = notes_module.write_index_atomically
    writing, go_on = threading.Event(), threading.Event()

    def slow_write(index, path):
        writing.set()
        assert go_on.wait(WAIT_S)
        real_write(index, path)

    monkeypatch.setattr(notes_module, "write_index_atomically", slow_write)
    adder = threading.Thread(target=store.add, args=(B, "exam", "The exam is on June 3rd in the main hall.", None, 1, "ada"))
    adder.start()
    assert writing.wait(WAIT_S)
    hits = store.search(B, embedder.encode_one("when is the exam?"), 5)
    assert hits is not None and set(hits.dense) <= set(hits.chunks)
    assert {fid >> notes_module.PART_BITS for fid in hits.chunks} == {first.id}
    go_on.set()
    adder.join(WAIT_S)
    assert not adder.is_alive()
    hits = store.search(B, embedder.encode_one("when is the exam?"), 5)
    assert len({fid >> notes_module.PART_BITS for fid in hits.chunks}) == 2
