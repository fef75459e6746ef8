"""The ONNX-exported embedder gives the sentence-transformer's vectors without importing torch."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from knowledge import onnx_export
from knowledge.embedder import Embedder

ROOT = Path(__file__).resolve().parents[2]
TEXTS = [
    "what is batch normalization?",
    "  leading and trailing spaces are stripped as sentence-transformers does  ",
    "",
    "why does the sigmoid's derivative, at most 0.25, make the first layers of a deep net learn slowly? " * 20,
    "Straße, naïve café, 数学 and an emoji 🤖",
    "what is [SEP] for and where does [CLS] go",
]


@pytest.mark.slow
def test_vectors_equal_sentence_transformers_in_batches_and_alone(embedder):
    assert embedder.backend == "onnxruntime"
    reference = embedder.model.encode([embedder.literal(t) for t in TEXTS], normalize_embeddings=True,
                                      convert_to_numpy=True)
    batched = embedder.encode(TEXTS)  # padded together: the long text truncated at 256 pieces
    alone = np.vstack([embedder.encode([t]) for t in TEXTS])
    assert batched.shape == (len(TEXTS), 384) and batched.dtype == np.float32
    assert np.abs(batched - reference).max() < 1e-5
    assert np.abs(alone - reference).max() < 1e-5
    assert np.allclose(np.linalg.norm(batched, axis=1), 1.0, atol=1e-5)


@pytest.mark.slow
def test_embedding_a_question_imports_no_torch():
    code = ("import sys; from knowledge.embedder import Embedder; e = Embedder(); v = e.encode_one('what is relu'); "
            "assert e.backend == 'onnxruntime', e.backend; "
            "heavy = [m for m in ('torch', 'transformers', 'sentence_transformers') if m in sys.modules]; "
            "assert not heavy, heavy; print(v.shape)")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "(384,)"


def test_a_cached_export_is_reused_and_keyed_on_the_model_files(tmp_path, monkeypatch):
    monkeypatch.setenv("TUTOR_MODEL_CACHE", str(tmp_path / "cache"))
    model = tmp_path / "model"
    model.mkdir()
    (model / "config.json").write_text('{"hidden_size": 384}')
    first = onnx_export.export_path(model)
    assert first.parent == tmp_path / "cache"
    first.parent.mkdir()
    first.write_bytes(b"cached")
    monkeypatch.setattr(onnx_export.subprocess, "run", lambda *a, **k: pytest.fail("exported again"))
    assert onnx_export.ensure_exported(model) == first
    (model / "config.json").write_text('{"hidden_size": 768}')  # another model: another file
    assert onnx_export.export_path(model) != first


def test_a_failed_export_names_the_model_and_the_cause(tmp_path, monkeypatch):
    monkeypatch.setenv("TUTOR_MODEL_CACHE", str(tmp_path / "cache"))
    model = tmp_path / "not-a-model"
    model.mkdir()
    with pytest.raises(RuntimeError, match=r"ONNX export of .*not-a-model failed: .+"):
        onnx_export.ensure_exported(model)
    assert not list((tmp_path / "cache").glob("*.onnx"))  # nothing half-written is left to be reused


@pytest.mark.slow
def test_without_an_export_the_sentence_transformer_gives_the_same_vectors(embedder, monkeypatch):
    def no_export(model_dir: Path) -> Path:
        raise RuntimeError("no disk")

    monkeypatch.setattr(onnx_export, "ensure_exported", no_export)
    fallback = Embedder(embedder.model_dir)
    assert fallback.backend == "sentence-transformers"
    assert fallback.literal("[SEP]").split() == ["SEP"]
    assert np.abs(fallback.encode(TEXTS) - embedder.encode(TEXTS)).max() < 1e-5


def test_the_cache_set_in_settings_reaches_the_exporter_and_child_processes(tmp_path, monkeypatch):
    from bot.services import Services
    from bot.settings import Settings

    monkeypatch.setenv("TUTOR_MODEL_CACHE", "elsewhere")  # recorded, so restored after the test
    Services(Settings(TUTOR_DATA_DIR=tmp_path, TUTOR_MODEL_CACHE=tmp_path / "models"))
    assert onnx_export.cache_dir() == tmp_path / "models"
    child = subprocess.run([sys.executable, "-c", "import os; print(os.environ['TUTOR_MODEL_CACHE'])"],
                           capture_output=True, text=True, timeout=60)
    assert child.stdout.strip() == str(tmp_path / "models")


def test_the_onnx_session_is_made_on_the_first_encode_only(embedder, monkeypatch):
    """A worker that only needs the token vectors (the embeddings demo) never makes the session."""
    made = []
    real = onnx_export.ensure_exported

    def counting(model_dir: Path) -> Path:
        made.append(model_dir)
        return real(model_dir)

    monkeypatch.setattr(onnx_export, "ensure_exported", counting)
    lazy = Embedder(embedder.model_dir)
    _ = lazy.name, lazy.model_dir
    assert made == []
    vectors = lazy.encode(TEXTS[:2])
    lazy.encode(TEXTS[2:])
    assert made == [embedder.model_dir] and lazy.backend == "onnxruntime"
    assert np.abs(vectors - embedder.encode(TEXTS[:2])).max() < 1e-5
