"""Run the exported sentence-transformer with onnxruntime and the model's own tokenizer.

Only ``onnxruntime``, ``tokenizers`` and numpy are imported here — no torch — which is the point
(see :mod:`knowledge.onnx_export`). The steps are those of ``SentenceTransformer.encode``: strip
each text, tokenize with truncation at the model's ``max_seq_length``, sort by length so a batch
pads little, run the graph (transformer, mean pooling, normalization), restore the order.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

DEFAULT_MAX_SEQ_LENGTH = 256
INPUT_NAMES = ("input_ids", "attention_mask", "token_type_ids")  # the exported graph's inputs


class OnnxEncoder:
    """One onnxruntime session. ``threads`` is its intra-op thread count: 1 for a bot answering
    one question at a time (a 10-token input gains nothing from a second core), all cores for an
    index build. A session may be run from several threads at once."""

    def __init__(self, onnx_file: Path, model_dir: Path, threads: int = 1) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3  # warnings about the exporter's constant folding are noise here
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")  # idle threads sleep
        self.session = ort.InferenceSession(str(onnx_file), options, providers=["CPUExecutionProvider"])
        self.tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self.tokenizer.no_padding()  # padded per batch below, to the batch's longest text
        self.max_seq_length = _max_seq_length(model_dir)
        self.tokenizer.enable_truncation(self.max_seq_length)
        self.pad_id = self.tokenizer.token_to_id("[PAD]") or 0
        self.special_tokens = tuple(t.content for t in self.tokenizer.get_added_tokens_decoder().values()
                                    if t.special)
        self.dimension = int(self.session.get_outputs()[0].shape[-1])

    def encode(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        """Normalized float32 vectors, shape ``(len(texts), dimension)``."""
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        if not texts:
            return out
        encodings = self.tokenizer.encode_batch([t.strip() for t in texts])
        order = sorted(range(len(texts)), key=lambda i: -len(encodings[i].ids))
        for start in range(0, len(order), batch_size):
            rows = order[start:start + batch_size]
            width = max(len(encodings[i].ids) for i in rows)
            inputs = {name: np.zeros((len(rows), width), dtype=np.int64) for name in INPUT_NAMES}
            inputs["input_ids"].fill(self.pad_id)
            for r, i in enumerate(rows):
                e = encodings[i]
                n = len(e.ids)
                inputs["input_ids"][r, :n] = e.ids
                inputs["attention_mask"][r, :n] = e.attention_mask
                inputs["token_type_ids"][r, :n] = e.type_ids
            out[rows] = self.session.run(None, inputs)[0]
        return out


def _max_seq_length(model_dir: Path) -> int:
    try:
        config = json.loads((model_dir / "sentence_bert_config.json").read_text(encoding="utf-8"))
        return int(config.get("max_seq_length", DEFAULT_MAX_SEQ_LENGTH))
    except (OSError, ValueError):
        return DEFAULT_MAX_SEQ_LENGTH
