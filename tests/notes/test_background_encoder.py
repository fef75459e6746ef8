"""Large background encodes run in a helper process: same vectors, and the process goes away."""

from __future__ import annotations

import time

import numpy as np
import psutil
import pytest

from knowledge.background_encoder import BackgroundEncoder

TEXTS = [f"Note passage {i}: batch normalization rescales activations per channel, step {i}." for i in range(20)]


def _children_running(pid: int) -> bool:
    try:
        return psutil.Process(pid).is_running() and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def test_large_background_encode_runs_in_a_helper_process_with_the_same_vectors(embedder,
                                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    before = {p.pid for p in psutil.Process().children(recursive=True)}
    vectors = embedder.encode(TEXTS, background=True)
    assert len(TEXTS) > embedder.helper_threshold and embedder.helper.running
    started = {p.pid for p in psutil.Process().children(recursive=True)} - before
    assert started, "no helper process was started"
    foreground = embedder.encode(TEXTS)
    assert vectors.shape == (len(TEXTS), 384) and vectors.dtype == np.float32
    np.testing.assert_allclose(vectors, foreground, atol=1e-5)
    calls = []
    real_encode = embedder.helper.encode
    monkeypatch.setattr(embedder.helper, "encode", lambda texts: calls.append(texts) or real_encode(texts))
    small = embedder.encode(TEXTS[:3], background=True)  # small ones stay in-process
    np.testing.assert_allclose(small, foreground[:3], atol=1e-5)
    assert calls == []


def test_helper_process_exits_when_idle_and_on_close(embedder) -> None:
    encoder = BackgroundEncoder(type(embedder), embedder.model_dir, idle_s=0.5)
    before = {p.pid for p in psutil.Process().children(recursive=True)}
    encoder.encode(TEXTS[:2])
    helpers = {p.pid for p in psutil.Process().children(recursive=True)} - before
    assert encoder.running and helpers
    deadline = time.monotonic() + 30
    while (encoder.running or any(_children_running(pid) for pid in helpers)) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not encoder.running
    assert not any(_children_running(pid) for pid in helpers), "the idle helper process is still alive"
    # it starts again for the next upload, and close() stops it at once
    np.testing.assert_allclose(encoder.encode(TEXTS[:2]), embedder.encode(TEXTS[:2]), atol=1e-5)
    assert encoder.running
    encoder.close()
    assert not encoder.running


def test_a_failed_helper_falls_back_to_encoding_in_process(embedder, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(texts):  # noqa: ANN001, ANN202
        raise OSError("cannot start a process here")

    monkeypatch.setattr(embedder.helper, "encode", broken)
    np.testing.assert_allclose(embedder.encode(TEXTS, background=True), embedder.encode(TEXTS), atol=1e-5)


def test_an_encode_past_its_deadline_has_its_process_stopped(embedder) -> None:
    encoder = BackgroundEncoder(type(embedder), embedder.model_dir, timeout_s=0.0005)
    try:
        with pytest.raises(TimeoutError):
            # long enough (about a second) that the pool's periodic timeout check sees it running
            encoder.encode(TEXTS * 20)
        encoder.timeout_s = 120  # the pool replaced the killed process: the next encode works
        np.testing.assert_allclose(encoder.encode(TEXTS[:2]), embedder.encode(TEXTS[:2]), atol=1e-5)
    finally:
        encoder.close()
