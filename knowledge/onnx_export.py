"""Export the sentence-transformer to ONNX once, so the bot embeds without torch.

The bot's process only ever embeds a question or a short note, but importing torch,
transformers and sentence-transformers for that costs ~470 MB of its resident memory. The same
network exported to ONNX and run by onnxruntime costs ~170 MB and is faster for one question.
The export is made from the installed SentenceTransformer itself (transformer, mean pooling and
L2 normalization in one graph), checked against it on probe sentences, and cached per model
file: it runs in a child process (:func:`ensure_exported`), so the process asking never imports
torch.

Run by hand: ``python -m knowledge.onnx_export MODEL_DIR DEST.onnx``.
"""

from __future__ import annotations

import hashlib
import logging
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from knowledge.onnx_encoder import INPUT_NAMES, OnnxEncoder

log = logging.getLogger(__name__)

# Bump when the exported graph changes (inputs, outputs, opset), so cached exports are redone.
EXPORT_VERSION = "st-pooled-normalized-opset17"
OUTPUT_NAME = "sentence_embedding"
OPSET = 17
MAX_EXPORT_ERROR = 1e-5  # largest allowed difference from SentenceTransformer.encode on the probes
EXPORT_TIMEOUT_S = 600.0
# Probe sentences: short, long, padded together in one batch, non-ASCII, a tokenizer marker.
PROBES = (
    "what is batch normalization?",
    "a",
    "Vanishing gradients: the derivative of the sigmoid is at most 0.25, and the chain rule multiplies "
    "one such factor per layer, so the first layers of a deep network barely learn. " * 4,
    "café naïve — ünïcode 🤖",
    "what is [SEP] for",
)


def cache_dir() -> Path:
    """Where exports are kept: ``TUTOR_MODEL_CACHE``, else the user's cache directory."""
    configured = os.environ.get("TUTOR_MODEL_CACHE")
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "tutor-bot"


def fingerprint(model_dir: Path) -> str:
    """Identifies the model files an export was made from (a changed model means a new export)."""
    digest = hashlib.sha256(EXPORT_VERSION.encode())
    for name in ("config.json", "tokenizer.json", "modules.json", "sentence_bert_config.json"):
        path = model_dir / name
        if path.exists():
            digest.update(path.read_bytes())
    weights = model_dir / "model.safetensors"
    if weights.exists():
        digest.update(str(weights.stat().st_size).encode())
        with weights.open("rb") as f:
            digest.update(f.read(1 << 20))
    return digest.hexdigest()[:16]


def export_path(model_dir: Path) -> Path:
    return cache_dir() / f"sentence-embedder-{fingerprint(model_dir)}.onnx"


def ensure_exported(model_dir: Path) -> Path:
    """The ONNX file for ``model_dir``, exported in a child process if it is not cached yet
    (about 10 s once). Raises ``RuntimeError`` if the export fails."""
    dest = export_path(model_dir)
    if dest.exists():
        return dest
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
    except OSError:  # no writable cache (a read-only home): keep it for this machine's session
        dest = Path(tempfile.gettempdir()) / "tutor-bot" / dest.name
        if dest.exists():
            return dest
        dest.parent.mkdir(parents=True, exist_ok=True)
    log.info("exporting the embedding model to ONNX (once): %s", dest)
    done = subprocess.run([sys.executable, "-m", "knowledge.onnx_export", str(model_dir), str(dest)],
                          capture_output=True, text=True, timeout=EXPORT_TIMEOUT_S,
                          env={**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"})
    if done.returncode != 0 or not dest.exists():
        tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
        raise RuntimeError(f"ONNX export of {model_dir} failed: {tail[0]}")
    return dest


def export(model_dir: Path, dest: Path) -> float:
    """Export the SentenceTransformer at ``model_dir`` to ``dest`` (atomically) and return the
    largest difference from ``SentenceTransformer.encode`` on :data:`PROBES`."""
    import numpy as np
    import torch
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(model_dir), device="cpu", local_files_only=True).eval()

    class Pooled(torch.nn.Module):
        """The whole SentenceTransformer (transformer → pooling → normalize) as tensors in, vectors out."""

        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids, attention_mask, token_type_ids):  # noqa: ANN001, ANN202
            features = {"input_ids": input_ids, "attention_mask": attention_mask, "token_type_ids": token_type_ids}
            return self.model(features)["sentence_embedding"]

    sample = model.tokenizer(["an example", "a longer example sentence"], padding=True, return_tensors="pt")
    args = tuple(sample[name] for name in INPUT_NAMES)
    axes = {name: {0: "batch", 1: "tokens"} for name in INPUT_NAMES} | {OUTPUT_NAME: {0: "batch"}}
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.tmp")
    with torch.inference_mode():
        torch.onnx.export(Pooled(), args, str(tmp), input_names=list(INPUT_NAMES), output_names=[OUTPUT_NAME],
                          dynamic_axes=axes, opset_version=OPSET, dynamo=False)
    try:
        got = OnnxEncoder(tmp, model_dir, threads=1).encode(list(PROBES), batch_size=len(PROBES))
        want = model.encode(list(PROBES), normalize_embeddings=True, convert_to_numpy=True)
        error = float(np.abs(got - want).max())
        if error > MAX_EXPORT_ERROR:
            raise RuntimeError(f"the ONNX export differs from the model by {error:.2e} (> {MAX_EXPORT_ERROR})")
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)
    return error


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python -m knowledge.onnx_export MODEL_DIR DEST.onnx", file=sys.stderr)
        return 2
    error = export(Path(argv[0]), Path(argv[1]))
    print(f"exported {argv[1]} (max difference from sentence-transformers {error:.1e})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
