"""Large background encodes (a server note being added) in a low-priority process of their own.

Encoding a 50 KB note in the bot's process, even on one thread in small batches, holds the
interpreter lock for long enough that searches in other servers slow down by several
milliseconds (bench/notes.py). In another process, niced and on one thread, it costs them
nothing measurable. The process starts with the first large upload (it loads the model, a few
seconds) and exits after ``idle_s`` without work, so a bot that nobody uploads to never holds a
second copy of the model. Small notes stay in-process: for them the start-up would cost more than
the encoding.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

DEFAULT_IDLE_S = 120.0
DEFAULT_TIMEOUT_S = 120.0  # one encode (a 50 KB note takes seconds): past it, the process is killed

_child_embedder = None  # in the child process: its model


def _child_init(make_embedder: Callable[[Path], Any], model_dir: str) -> None:
    os.environ["OMP_NUM_THREADS"] = "1"
    try:
        os.nice(10)  # the bot's own work first; 19 would starve an upload past its deadline on a busy host
    except OSError:  # pragma: no cover - not permitted here
        pass
    global _child_embedder
    _child_embedder = make_embedder(Path(model_dir))
    _child_embedder.helper_threshold = float("inf")  # it is the helper: encode here


def _child_encode(texts: list[str]) -> np.ndarray:
    assert _child_embedder is not None, "the encoder process was not initialized"
    return _child_embedder.encode(texts, background=True)


class BackgroundEncoder:
    """``encode(texts)`` in the helper process (blocking: call it from a worker thread). A
    ``pebble`` pool of one: an encode past ``timeout_s`` has its process killed (the next one
    starts afresh), so a stuck helper can never hold an upload for ever."""

    def __init__(self, make_embedder: Callable[[Path], Any], model_dir: Path, idle_s: float = DEFAULT_IDLE_S,
                 timeout_s: float = DEFAULT_TIMEOUT_S) -> None:
        self.make_embedder = make_embedder  # the Embedder class: pickled by reference into the child
        self.model_dir = Path(model_dir)
        self.idle_s = idle_s
        self.timeout_s = timeout_s
        self._lock = threading.Lock()
        self._executor: Any = None  # pebble.ProcessPool
        self._busy = 0
        self._idle_timer: threading.Timer | None = None

    @property
    def running(self) -> bool:
        return self._executor is not None

    def encode(self, texts: list[str]) -> np.ndarray:
        with self._lock:
            if self._idle_timer is not None:
                self._idle_timer.cancel()
                self._idle_timer = None
            if self._executor is None:
                from pebble import ProcessPool

                self._executor = ProcessPool(max_workers=1, initializer=_child_init,
                                             initargs=(self.make_embedder, str(self.model_dir)),
                                             context=multiprocessing.get_context("spawn"))
            executor = self._executor
            self._busy += 1
        try:
            # the first encode also loads the model in the new process: allow for that
            return executor.schedule(_child_encode, args=(list(texts),), timeout=self.timeout_s).result()
        finally:
            with self._lock:
                self._busy -= 1
                if self._busy == 0 and self._executor is executor:
                    self._idle_timer = threading.Timer(self.idle_s, self._stop_if_idle, args=(executor,))
                    self._idle_timer.daemon = True
                    self._idle_timer.start()

    def _stop_if_idle(self, executor: Any) -> None:
        with self._lock:
            if self._busy or self._executor is not executor:
                return
            self._executor = None
        log.info("background encoder idle for %.0f s: stopped", self.idle_s)
        executor.close()
        executor.join()

    def close(self) -> None:
        with self._lock:
            if self._idle_timer is not None:
                self._idle_timer.cancel()
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.stop()
            executor.join()
