"""Build, persist and load the retrieval index, atomically and with a manifest.

Layout under ``index_dir``::

    CURRENT                 name of the live version directory (replaced atomically)
    v-<hash12>-<stamp>/     one complete build
        chunks.json         passages and their sentences
        chunks.faiss        FAISS IndexFlatIP over normalized passage vectors
        sentences.npy       normalized sentence vectors (for extractive answers)
        manifest.json       model name, corpus hash, counts, sha256 of every file

A build writes into a hidden temporary directory, fsyncs, renames it into place and only then
swaps ``CURRENT``; a build killed at any point leaves the previous index live, and a loader
verifies checksums, so a torn or corrupt index is never used — it is rebuilt instead.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import faiss
import numpy as np

from knowledge.chunking import Chunk, chunk_articles, split_sentences
from knowledge.corpus import ARTICLES_DIR, corpus_hash, load_articles, load_uncovered
from knowledge.embedder import EMBEDDING_DIM, Embedder

log = logging.getLogger(__name__)

# Bump when chunking or sentence splitting changes: older indexes are then rebuilt on load.
FORMAT_VERSION = 2
CURRENT_FILE = "CURRENT"
MANIFEST_FILE = "manifest.json"
CHUNKS_FILE = "chunks.json"
FAISS_FILE = "chunks.faiss"
SENTENCES_FILE = "sentences.npy"
UNCOVERED_FILE = "uncovered.npy"
DATA_FILES = (CHUNKS_FILE, FAISS_FILE, SENTENCES_FILE, UNCOVERED_FILE)

ProgressFn = Callable[[str, int, int], None]


class IndexUnavailable(RuntimeError):
    """No valid index on disk (missing, stale or corrupt)."""


@dataclass(frozen=True)
class Manifest:
    format_version: int
    model: str
    dim: int
    corpus_hash: str
    chunk_count: int
    sentence_count: int
    built_at: float
    build_seconds: float
    files: dict[str, str]


@dataclass(frozen=True)
class StoredIndex:
    manifest: Manifest
    chunks: list[Chunk]
    sentences: list[str]
    sentence_chunk: np.ndarray  # chunk id of every sentence
    sentence_vectors: np.ndarray
    faiss_index: faiss.Index
    uncovered: list[str]  # subjects we have no article on (see knowledge/data)
    uncovered_vectors: np.ndarray
    path: Path


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def fsync_dir(path: Path) -> None:
    """Make a rename or new file in ``path`` durable (the directory entry itself)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_bytes_durably(path: Path, data: bytes) -> None:
    with path.open("wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


def build_index(
    index_dir: Path,
    embedder: Embedder,
    articles_dir: Path = ARTICLES_DIR,
    progress: ProgressFn | None = None,
) -> Path:
    """Chunk, embed and persist the corpus; returns the new live version directory."""
    started = time.perf_counter()
    index_dir.mkdir(parents=True, exist_ok=True)
    digest = corpus_hash(articles_dir)
    chunks = chunk_articles(load_articles(articles_dir))
    sentences: list[str] = []
    sentence_chunk: list[int] = []
    for chunk in chunks:
        for sent in split_sentences(chunk.text):
            sentences.append(sent)
            sentence_chunk.append(chunk.id)

    def encode(label: str, texts: list[str]) -> np.ndarray:
        batch = 32
        parts = []
        for start in range(0, len(texts), batch):
            parts.append(embedder.encode(texts[start : start + batch]))
            if progress:
                progress(label, min(start + batch, len(texts)), len(texts))
        return np.vstack(parts) if parts else np.zeros((0, EMBEDDING_DIM), np.float32)

    chunk_vectors = encode("passages", [c.embedding_text() for c in chunks])
    sentence_vectors = encode("sentences", sentences)
    uncovered = load_uncovered()
    uncovered_vectors = encode("uncovered subjects", uncovered)

    tmp = Path(tempfile.mkdtemp(prefix=".build-", dir=index_dir))
    try:
        payload = {
            "chunks": [asdict(c) for c in chunks],
            "sentences": sentences,
            "sentence_chunk": sentence_chunk,
            "uncovered": uncovered,
        }
        _write_bytes_durably(tmp / CHUNKS_FILE, json.dumps(payload, ensure_ascii=False).encode())
        flat = faiss.IndexFlatIP(chunk_vectors.shape[1])
        flat.add(chunk_vectors)
        _write_bytes_durably(tmp / FAISS_FILE, faiss.serialize_index(flat).tobytes())
        for name, array in ((SENTENCES_FILE, sentence_vectors), (UNCOVERED_FILE, uncovered_vectors)):
            with (tmp / name).open("wb") as fh:
                np.save(fh, array)
                fh.flush()
                os.fsync(fh.fileno())
        manifest = Manifest(
            format_version=FORMAT_VERSION,
            model=embedder.name,
            dim=int(chunk_vectors.shape[1]),
            corpus_hash=digest,
            chunk_count=len(chunks),
            sentence_count=len(sentences),
            built_at=time.time(),
            build_seconds=round(time.perf_counter() - started, 3),
            files={name: _sha256(tmp / name) for name in DATA_FILES},
        )
        _write_bytes_durably(tmp / MANIFEST_FILE, json.dumps(asdict(manifest), indent=2).encode())
        fsync_dir(tmp)
        final = index_dir / f"v-{digest[:12]}-{time.time_ns()}"
        os.rename(tmp, final)
        _swap_current(index_dir, final.name)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    _remove_stale_versions(index_dir, keep=final.name)
    log.info("built index %s: %d passages, %d sentences", final.name, len(chunks), len(sentences))
    return final


def _swap_current(index_dir: Path, version: str) -> None:
    tmp = index_dir / f".{CURRENT_FILE}.{os.getpid()}.tmp"
    _write_bytes_durably(tmp, version.encode())
    os.replace(tmp, index_dir / CURRENT_FILE)
    fsync_dir(index_dir)


def _remove_stale_versions(index_dir: Path, keep: str) -> None:
    for entry in index_dir.iterdir():
        if entry.is_dir() and entry.name != keep and entry.name.startswith(("v-", ".build-")):
            shutil.rmtree(entry, ignore_errors=True)


def read_manifest(index_dir: Path) -> Manifest:
    """The live index's manifest, or :class:`IndexUnavailable`."""
    try:
        version = (index_dir / CURRENT_FILE).read_text().strip()
        raw = json.loads((index_dir / version / MANIFEST_FILE).read_text())
        return Manifest(**raw)
    except (OSError, ValueError, TypeError) as exc:
        raise IndexUnavailable(f"no readable index in {index_dir}: {exc}") from exc


def load_index(index_dir: Path, expected_corpus_hash: str | None = None, model: str | None = None) -> StoredIndex:
    """Load and verify the live index; raises :class:`IndexUnavailable` when it is missing,
    corrupt (checksum mismatch), stale (corpus hash differs) or built with another model."""
    manifest = read_manifest(index_dir)
    path = index_dir / (index_dir / CURRENT_FILE).read_text().strip()
    if manifest.format_version != FORMAT_VERSION:
        raise IndexUnavailable(f"index format {manifest.format_version} != {FORMAT_VERSION}")
    if expected_corpus_hash and manifest.corpus_hash != expected_corpus_hash:
        raise IndexUnavailable("index is stale: the articles changed since it was built")
    if model and manifest.model != model:
        raise IndexUnavailable(f"index was built with {manifest.model}, not {model}")
    for name, expected in manifest.files.items():
        file = path / name
        if not file.exists() or _sha256(file) != expected:
            raise IndexUnavailable(f"index file {name} is missing or corrupt")
    try:
        payload = json.loads((path / CHUNKS_FILE).read_text(encoding="utf-8"))
        chunks = [Chunk(**c) for c in payload["chunks"]]
        flat = faiss.deserialize_index(np.frombuffer((path / FAISS_FILE).read_bytes(), dtype=np.uint8))
        sentence_vectors = np.load(path / SENTENCES_FILE, allow_pickle=False)
        uncovered_vectors = np.load(path / UNCOVERED_FILE, allow_pickle=False)
    except (OSError, ValueError, KeyError, TypeError, RuntimeError) as exc:
        raise IndexUnavailable(f"index unreadable: {exc}") from exc
    if flat.ntotal != len(chunks) or len(sentence_vectors) != len(payload["sentences"]):
        raise IndexUnavailable("index parts disagree in size")
    return StoredIndex(
        manifest=manifest,
        chunks=chunks,
        sentences=payload["sentences"],
        sentence_chunk=np.asarray(payload["sentence_chunk"], dtype=np.int64),
        sentence_vectors=sentence_vectors,
        faiss_index=flat,
        uncovered=payload["uncovered"],
        uncovered_vectors=uncovered_vectors,
        path=path,
    )


def load_or_build(
    index_dir: Path,
    embedder: Embedder,
    articles_dir: Path = ARTICLES_DIR,
    progress: ProgressFn | None = None,
) -> StoredIndex:
    """The index for the current corpus, rebuilding it first when missing, stale or corrupt."""
    digest = corpus_hash(articles_dir)
    try:
        return load_index(index_dir, expected_corpus_hash=digest, model=embedder.name)
    except IndexUnavailable as why:
        log.info("rebuilding index: %s", why)
    build_index(index_dir, embedder, articles_dir, progress)
    return load_index(index_dir, expected_corpus_hash=digest, model=embedder.name)
