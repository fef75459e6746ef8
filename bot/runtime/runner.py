"""Run commands off the event loop: light ones in a thread, CPU-heavy ones in a process pool.

The embedding model lives in the main process (warm), so retrieval commands run in a thread.
Training demos and tuning runs go to a process pool sized to the machine; each has a hard
timeout. A worker stuck past its timeout cannot be interrupted politely, so the pool is
recycled (its processes terminated) and the user told; nothing else in the bot waits on it.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import weakref
from collections.abc import Callable, Mapping
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from bot.reply import Reply
from tools.errors import UserInputError

log = logging.getLogger(__name__)


class ToolTimeout(Exception):
    def __init__(self, command: str, timeout_s: float) -> None:
        super().__init__(
            f"/{command} took longer than {timeout_s:g} s and was stopped; try smaller settings"
        )


class QueueFull(Exception):
    pass


def _worker_init() -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    try:
        import torch

        torch.set_num_threads(1)  # one core per worker; the pool provides the parallelism
    except ImportError:  # pragma: no cover
        pass


_worker_services: dict[Any, Any] = {}  # per worker process: one lazily made services per factory
_RUNNERS: weakref.WeakSet[CommandRunner] = weakref.WeakSet()


def _run_in_worker(make_services: Callable[[], Any] | None, handler: Callable[..., Reply],
                   kwargs: dict[str, Any]) -> Reply:
    """Executed in a worker process (the factory and the handler are pickled by reference)."""
    if make_services not in _worker_services:
        _worker_services[make_services] = make_services() if make_services is not None else None
    return handler(_worker_services[make_services], **kwargs)


def heavy_in_flight() -> int:
    """Heavy commands queued or running in this process's runners (what ``/admin stats`` shows)."""
    return sum(runner.queued for runner in list(_RUNNERS))


class CommandRunner:
    """``services`` is what light commands get in a thread; a worker process makes its own with
    ``worker_services()`` (a picklable factory such as the ``Services`` class; None: no services)."""

    def __init__(self, services: Any, workers: int | None = None, timeout_s: float = 60.0,
                 max_queued: int = 50, worker_services: Callable[[], Any] | None = None) -> None:
        self.services = services
        self.worker_services = worker_services
        self.workers = workers or max(1, os.cpu_count() or 1)
        self.timeout_s = timeout_s
        self.max_queued = max_queued
        self._pool: ProcessPoolExecutor | None = None
        self._slots = asyncio.Semaphore(self.workers)
        self._queued = 0
        _RUNNERS.add(self)

    def _ensure_pool(self) -> ProcessPoolExecutor:
        if self._pool is None:
            ctx = multiprocessing.get_context("spawn")  # no fork of a process holding torch threads
            self._pool = ProcessPoolExecutor(self.workers, mp_context=ctx, initializer=_worker_init)
        return self._pool

    def _recycle_pool(self) -> None:
        """Terminate the workers (a stuck one cannot be interrupted otherwise) and start afresh."""
        pool, self._pool = self._pool, None
        if pool is None:
            return
        processes = list((getattr(pool, "_processes", None) or {}).values())
        pool.shutdown(wait=False, cancel_futures=True)
        for proc in processes:
            proc.terminate()

    @property
    def queued(self) -> int:
        return self._queued

    async def run(self, spec: Any, kwargs: Mapping[str, Any]) -> Reply:
        """Run a bound command; raises UserInputError, ToolTimeout, QueueFull or the bug."""
        if not spec.heavy:
            return await asyncio.wait_for(
                asyncio.to_thread(spec.handler, self.services, **kwargs), timeout=self.timeout_s
            )
        if self._queued >= self.max_queued:
            raise QueueFull("the demo queue is full right now; try again in a minute")
        self._queued += 1
        try:
            async with self._slots:
                loop = asyncio.get_running_loop()
                future = loop.run_in_executor(self._ensure_pool(), _run_in_worker, self.worker_services,
                                              spec.handler, dict(kwargs))
                try:
                    return await asyncio.wait_for(future, timeout=self.timeout_s)
                except asyncio.TimeoutError:
                    log.warning("command %s timed out after %.0f s; recycling the worker pool",
                                spec.name, self.timeout_s)
                    self._recycle_pool()
                    raise ToolTimeout(spec.name, self.timeout_s) from None
                except BrokenProcessPool:
                    self._recycle_pool()
                    raise
        finally:
            self._queued -= 1

    def warm_pool(self) -> None:
        """Start the worker processes now (imports take seconds) rather than on first use."""
        pool = self._ensure_pool()
        for _ in range(self.workers):
            pool.submit(_worker_init)

    def shutdown(self) -> None:
        self._recycle_pool()


__all__ = ["CommandRunner", "QueueFull", "ToolTimeout", "UserInputError"]
