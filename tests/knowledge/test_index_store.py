"""Manifest, staleness rebuild and crash-safety of the on-disk index (tiny corpus, real model)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from knowledge import index_store
from knowledge.corpus import corpus_hash
from knowledge.embedder import MODEL_NAME
from knowledge.index_store import IndexUnavailable, build_index, load_index, load_or_build, read_manifest

ARTICLE = """---
slug: {slug}
title: {title}
order: {order}
prereqs: []
tools: []
---
# {title}

{title} is a small test article. It has a first paragraph with several words.

## Details

The details section explains {title} with a second paragraph.
"""


def write_corpus(root: Path, names: list[str]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for i, name in enumerate(names, 1):
        (root / f"{name}.md").write_text(ARTICLE.format(slug=name, title=name.title(), order=i))
    return root


def test_build_writes_a_manifest_that_describes_the_index(tmp_path, embedder):
    articles = write_corpus(tmp_path / "articles", ["alpha", "beta"])
    version = build_index(tmp_path / "index", embedder, articles)
    manifest = read_manifest(tmp_path / "index")
    assert manifest.model == embedder.name and embedder.name.startswith(MODEL_NAME)
    assert manifest.corpus_hash == corpus_hash(articles)
    assert manifest.chunk_count == 4  # two articles × (overview + details)
    assert set(manifest.files) == set(index_store.DATA_FILES)
    stored = load_index(tmp_path / "index", corpus_hash(articles), embedder.name)
    assert stored.path == version
    assert stored.faiss_index.ntotal == 4
    norms = np.linalg.norm(stored.sentence_vectors, axis=1)
    assert np.allclose(norms, 1.0, atol=1e-5)


def test_changed_corpus_is_stale_and_rebuilt_automatically(tmp_path, embedder):
    articles = write_corpus(tmp_path / "articles", ["alpha"])
    first = load_or_build(tmp_path / "index", embedder, articles)
    assert first.manifest.chunk_count == 2
    write_corpus(articles, ["alpha", "gamma"])
    with pytest.raises(IndexUnavailable, match="stale"):
        load_index(tmp_path / "index", corpus_hash(articles), embedder.name)
    second = load_or_build(tmp_path / "index", embedder, articles)
    assert second.manifest.chunk_count == 4
    assert second.path != first.path and not first.path.exists()  # old version cleaned up


def test_corrupt_file_is_detected_and_rebuilt(tmp_path, embedder):
    articles = write_corpus(tmp_path / "articles", ["alpha"])
    stored = load_or_build(tmp_path / "index", embedder, articles)
    faiss_file = stored.path / index_store.FAISS_FILE
    faiss_file.write_bytes(faiss_file.read_bytes()[:-7])
    with pytest.raises(IndexUnavailable, match="corrupt"):
        load_index(tmp_path / "index", corpus_hash(articles))
    rebuilt = load_or_build(tmp_path / "index", embedder, articles)
    assert rebuilt.faiss_index.ntotal == 2


def test_crash_during_build_leaves_previous_index_live(tmp_path, embedder, monkeypatch):
    articles = write_corpus(tmp_path / "articles", ["alpha"])
    before = load_or_build(tmp_path / "index", embedder, articles)
    write_corpus(articles, ["alpha", "beta"])

    real_write = index_store._write_bytes_durably

    def crash_on_faiss(path: Path, data: bytes) -> None:
        if path.name == index_store.FAISS_FILE:
            path.write_bytes(data[: len(data) // 2])  # a torn write, then the process "dies"
            raise KeyboardInterrupt("simulated kill")
        real_write(path, data)

    monkeypatch.setattr(index_store, "_write_bytes_durably", crash_on_faiss)
    with pytest.raises(KeyboardInterrupt):
        build_index(tmp_path / "index", embedder, articles)
    monkeypatch.undo()

    # The live pointer still names the complete old build, which verifies and loads.
    assert (tmp_path / "index" / "CURRENT").read_text() == before.path.name
    old = load_index(tmp_path / "index")
    assert old.manifest.chunk_count == 2
    assert not list((tmp_path / "index").glob(".build-*"))


def test_leftover_half_build_from_a_killed_process_is_ignored(tmp_path, embedder):
    articles = write_corpus(tmp_path / "articles", ["alpha"])
    load_or_build(tmp_path / "index", embedder, articles)
    junk = tmp_path / "index" / ".build-killed"
    junk.mkdir()
    (junk / index_store.CHUNKS_FILE).write_text("{ torn")
    stored = load_or_build(tmp_path / "index", embedder, articles)
    assert stored.manifest.chunk_count == 2


def test_pointer_to_missing_version_is_unavailable(tmp_path, embedder):
    articles = write_corpus(tmp_path / "articles", ["alpha"])
    load_or_build(tmp_path / "index", embedder, articles)
    (tmp_path / "index" / "CURRENT").write_text("v-does-not-exist")
    with pytest.raises(IndexUnavailable):
        load_index(tmp_path / "index")
    assert load_or_build(tmp_path / "index", embedder, articles).manifest.chunk_count == 2


def test_manifest_is_json_with_checksums(tmp_path, embedder):
    articles = write_corpus(tmp_path / "articles", ["alpha"])
    stored = load_or_build(tmp_path / "index", embedder, articles)
    raw = json.loads((stored.path / index_store.MANIFEST_FILE).read_text())
    for name, digest in raw["files"].items():
        assert index_store._sha256(stored.path / name) == digest
