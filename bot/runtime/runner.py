"""Run commands off the event loop: light ones in a thread, CPU-heavy ones in worker processes.

Every command has a deadline (``timeout_s``). Light commands (retrieval, the quiz, notes) need
the warm model and index of this process, so they run in a bounded thread pool of their own
(never the loop's default executor); their work is bounded by their input limits, and one that
passes its deadline is answered with :class:`ToolTimeout` at once while its thread runs out.

Heavy demos run in a ``pebble`` process pool with a per-job timeout: a demo that overruns has
its own worker terminated (and replaced); the other workers, and the demos they run, carry on.
Workers start on the first heavy demo, not with the bot, each handles ``max_jobs`` demos and is
then replaced (so a leak in one library cannot grow for ever), and there are two by default
(one per core of a 2-core host; ``TUTOR_WORKER_PROCESSES``). A demo waits for a free worker at
most ``max_wait_s``; when the wait would be longer the student is told at once that the bot is
busy and when to try again (:class:`Busy`), so no reply can outlive its interaction token.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import math
import multiprocessing
import os
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from bot.reply import Reply
from tools.errors import UserInputError

log = logging.getLogger(__name__)

MAX_DEFAULT_WORKERS = 2  # each worker imports torch (~300 MB); more do not fit a small host
DEFAULT_MAX_WAIT_S = 120.0
DEFAULT_MAX_JOBS = 50
# Workers run at this much lower CPU priority than the bot: two busy workers fill a 2-core host,
# and at equal priority the bot's event loop got a third of a core, so acknowledgements of new
# interactions waited behind demos (bench/bot_load.py). A demo gives way for the milliseconds the
# loop needs and loses nothing measurable.
WORKER_NICENESS = 5
LIGHT_THREADS = 4  # light work mostly waits for the one embedder: more threads only fight for the GIL
DEFAULT_JOB_S = 5.0  # what a demo is assumed to take before any has finished
MIN_RETRY_S, MAX_RETRY_S = 5, 600
SHUTDOWN_JOIN_S = 5.0


class ToolTimeout(Exception):
    def __init__(self, command: str, timeout_s: float) -> None:
        super().__init__(
            f"/{command} took longer than {timeout_s:g} s and was stopped; try smaller settings"
        )


class QueueFull(Exception):
    pass


class Busy(QueueFull):
    """Every worker is taken for longer than a student should wait; ``retry_after_s`` says when
    a slot is likely to be free."""

    def __init__(self, retry_after_s: int) -> None:
        self.retry_after_s = retry_after_s
        super().__init__(f"the bot is busy with other students' demos; try again in {retry_after_s} s")


class WorkerDied(ToolTimeout):
    """The worker running a demo died (killed, out of memory); told to the user like a timeout."""

    def __init__(self, command: str) -> None:
        Exception.__init__(self, f"/{command} stopped unexpectedly (it may have run out of memory); "
                                 "try smaller settings")


def default_workers() -> int:
    return max(1, min(MAX_DEFAULT_WORKERS, os.cpu_count() or 1))


def _worker_init() -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    try:
        os.nice(WORKER_NICENESS)
    except OSError:  # pragma: no cover - not permitted here
        pass
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
                 max_queued: int = 50, worker_services: Callable[[], Any] | None = None,
                 max_wait_s: float = DEFAULT_MAX_WAIT_S, max_jobs: int = DEFAULT_MAX_JOBS,
                 light_threads: int = LIGHT_THREADS) -> None:
        self.services = services
        self.worker_services = worker_services
        self.workers = workers or default_workers()
        self.timeout_s = timeout_s
        self.max_queued = max_queued
        self.max_wait_s = max_wait_s
        self.max_jobs = max_jobs
        self._pool: Any = None  # pebble.ProcessPool, made on the first heavy demo
        self._slots: asyncio.Semaphore | None = None
        self.light_threads = light_threads
        self._light = ThreadPoolExecutor(light_threads, thread_name_prefix="tutor-light")
        self._pool_lock = threading.Lock()  # the pool is made from a scheduling thread
        self._queued = 0
        self._durations: deque[float] = deque(maxlen=50)
        self._closed = False
        _RUNNERS.add(self)

    async def call_light(self, name: str, fn: Callable[..., Any], /, *args: Any, timeout_s: float | None = None,
                         **kwargs: Any) -> Any:
        """``fn(*args, **kwargs)`` on the light threads under a deadline (default ``timeout_s``):
        light commands, and the buttons, forms, menus, autocomplete and forum posts that run
        command code. Past it: :class:`ToolTimeout` at once (the thread runs out on its own)."""
        loop = asyncio.get_running_loop()
        deadline = self.timeout_s if timeout_s is None else timeout_s
        try:
            return await asyncio.wait_for(loop.run_in_executor(self._light, functools.partial(fn, *args, **kwargs)),
                                          timeout=deadline)
        except asyncio.TimeoutError:
            log.warning("%s passed its %.1f s deadline", name, deadline)
            raise ToolTimeout(name, deadline) from None

    async def start_threads(self) -> None:
        """Start the light threads and the loop's default executor threads now: a thread pool starts
        its threads on demand, and starting one waits on the loop until the new thread runs."""
        loop = asyncio.get_running_loop()
        await asyncio.gather(*(loop.run_in_executor(self._light, time.sleep, 0.02)
                               for _ in range(self.light_threads)),
                             # and the loop's default executor (asyncio.to_thread), as CPython sizes it
                             *(loop.run_in_executor(None, time.sleep, 0.02)
                               for _ in range(min(32, (os.cpu_count() or 1) + 4))))

    def _ensure_pool(self) -> Any:
        if self._closed:
            raise QueueFull("the bot is shutting down; try again in a minute")
        with self._pool_lock:
            if self._pool is None:
                from pebble import ProcessPool

                ctx = multiprocessing.get_context("spawn")  # no fork of a process holding torch threads
                self._pool = ProcessPool(max_workers=self.workers, max_tasks=self.max_jobs,
                                         initializer=_worker_init, context=ctx)
            return self._pool

    @property
    def queued(self) -> int:
        return self._queued

    @property
    def started(self) -> bool:
        """Whether the worker processes exist (they start with the first heavy demo)."""
        return self._pool is not None

    def worker_pids(self) -> list[int]:
        """Process ids of the live workers (for memory accounting: bench/bot_load.py)."""
        pool = self._pool
        if pool is None:
            return []
        workers = getattr(getattr(pool, "_pool_manager", None), "worker_manager", None)
        processes = getattr(workers, "workers", {}) or {}
        return [int(pid) for pid, proc in list(processes.items()) if proc.is_alive()]

    def expected_wait_s(self, ahead: int | None = None) -> float:
        """How long a demo joining the queue now would wait for a worker, from recent run times."""
        ahead = max(0, self._queued - self.workers) if ahead is None else ahead
        mean = sum(self._durations) / len(self._durations) if self._durations else DEFAULT_JOB_S
        return mean * math.ceil((ahead + 1) / self.workers) if self._queued >= self.workers else 0.0

    def _busy(self) -> Busy:
        wait = self.expected_wait_s()
        return Busy(int(min(MAX_RETRY_S, max(MIN_RETRY_S, math.ceil(wait or self.max_wait_s)))))

    async def run(self, spec: Any, kwargs: Mapping[str, Any]) -> Reply:
        """Run a bound command; raises UserInputError, ToolTimeout, QueueFull (Busy), WorkerDied or the bug."""
        if not spec.heavy:
            return await self.call_light(spec.name, spec.handler, self.services, **kwargs)
        if self._queued >= self.max_queued:
            raise self._busy()
        if self.expected_wait_s() > self.max_wait_s:
            raise self._busy()  # say so now rather than after the wait
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.workers)
        self._queued += 1
        try:
            try:
                await asyncio.wait_for(self._slots.acquire(), timeout=self.max_wait_s)
            except asyncio.TimeoutError:
                raise self._busy() from None
            try:
                return await self._run_heavy(spec, kwargs)
            finally:
                self._slots.release()
        finally:
            self._queued -= 1

    async def _run_heavy(self, spec: Any, kwargs: Mapping[str, Any]) -> Reply:
        from pebble import ProcessExpired

        started = time.monotonic()
        # Scheduled from a thread: the first job starts the pool's manager threads (and they wait
        # for each other), which would stall the loop.
        scheduling = asyncio.ensure_future(asyncio.to_thread(self._schedule, spec, dict(kwargs)))
        try:
            future = await asyncio.shield(scheduling)
        except asyncio.CancelledError:  # the job is scheduled all the same: stop it once it is
            scheduling.add_done_callback(lambda t: t.cancelled() or t.exception() or t.result().cancel())
            raise
        try:
            reply = await asyncio.wrap_future(future)
        except TimeoutError:  # pebble terminated this job's worker (only it) and starts another
            log.warning("command %s timed out after %.0f s; its worker was stopped", spec.name, self.timeout_s)
            self._durations.append(self.timeout_s)
            raise ToolTimeout(spec.name, self.timeout_s) from None
        except ProcessExpired:
            log.error("the worker running %s died", spec.name)
            raise WorkerDied(spec.name) from None
        except asyncio.CancelledError:
            future.cancel()  # pebble stops the worker of a cancelled running job
            raise
        self._durations.append(time.monotonic() - started)
        return reply

    def _schedule(self, spec: Any, kwargs: dict[str, Any]) -> Any:
        return self._ensure_pool().schedule(_run_in_worker, args=(self.worker_services, spec.handler, kwargs),
                                            timeout=self.timeout_s)

    def shutdown(self) -> None:
        """Stop the workers (a running demo is terminated) and the light threads; returns within
        a few seconds whatever the workers are doing."""
        self._closed = True
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.stop()
            try:
                pool.join(timeout=SHUTDOWN_JOIN_S)
            except TimeoutError:
                log.warning("worker pool did not stop within %.0f s", SHUTDOWN_JOIN_S)
        self._light.shutdown(wait=False, cancel_futures=True)


__all__ = ["Busy", "CommandRunner", "QueueFull", "ToolTimeout", "UserInputError", "WorkerDied"]
