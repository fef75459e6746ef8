"""The runner really runs heavy commands in other processes, each with its own hard timeout:
an overrun kills only its worker, waits are bounded, workers start late and are recycled."""

import asyncio
import os
import threading
import time

import psutil
import pytest

from bot.commands.registry import REGISTRY, CommandSpec, register
from bot.reply import Reply
from bot.runtime.runner import WORKER_NICENESS, Busy, CommandRunner, QueueFull, ToolTimeout, default_workers


def _pid(services) -> Reply:
    return Reply(text=str(os.getpid()))


def _sleep(services, seconds: float = 5.0) -> Reply:
    time.sleep(seconds)
    return Reply(text=f"slept {os.getpid()}")


def _light_sleep(services, seconds: float = 5.0) -> Reply:
    time.sleep(seconds)
    return Reply(text=threading.current_thread().name)


for _spec in (CommandSpec("test pid", "pid", _pid, heavy=True, hidden=True),
              CommandSpec("test sleep", "sleep", _sleep, heavy=True, hidden=True),
              CommandSpec("test light-sleep", "light sleep", _light_sleep, hidden=True)):
    if _spec.name not in REGISTRY:
        register(_spec)


def test_workers_run_below_the_bots_priority():
    async def scenario():
        runner = CommandRunner(services=None, workers=1, timeout_s=30)
        try:
            worker = psutil.Process(int((await runner.run(REGISTRY["test pid"], {})).text))
            assert worker.nice() == min(19, psutil.Process().nice() + WORKER_NICENESS)
        finally:
            runner.shutdown()

    asyncio.run(scenario())


def test_default_worker_count_is_bounded():
    assert 1 <= default_workers() <= 2
    assert CommandRunner(services=None).workers == default_workers()


def test_heavy_commands_run_in_a_worker_process_and_time_out():
    async def scenario():
        runner = CommandRunner(services=None, workers=1, timeout_s=30)
        try:
            assert not runner.started  # workers start with the first heavy demo, not before
            reply = await runner.run(REGISTRY["test pid"], {})
            assert int(reply.text) != os.getpid() and runner.started
            runner.timeout_s = 0.5
            with pytest.raises(ToolTimeout, match="took longer than 0.5 s"):
                await runner.run(REGISTRY["test sleep"], {"seconds": 30})
            runner.timeout_s = 30
            again = await runner.run(REGISTRY["test pid"], {})  # a fresh worker took its place
            assert again.text.isdigit() and again.text != reply.text
            assert not psutil.pid_exists(int(reply.text)) or psutil.Process(int(reply.text)).status() == "zombie"
        finally:
            runner.shutdown()

    asyncio.run(scenario())


def test_an_overrunning_demo_kills_only_its_own_worker():
    """Two workers: one demo overruns and is stopped while the other is mid-run; that one
    finishes in its worker, which lives on."""

    async def scenario():
        runner = CommandRunner(services=None, workers=2, timeout_s=8)
        try:
            await asyncio.gather(runner.run(REGISTRY["test pid"], {}), runner.run(REGISTRY["test pid"], {}))
            stuck = asyncio.create_task(runner.run(REGISTRY["test sleep"], {"seconds": 60}))
            await asyncio.sleep(3)  # the other demo starts before the stuck one is stopped (at 8 s)…
            other = asyncio.create_task(runner.run(REGISTRY["test sleep"], {"seconds": 6}))
            with pytest.raises(ToolTimeout):
                await stuck
            assert not other.done()  # …and is still running when it is
            survivor = int((await other).text.split()[1])
            assert survivor in runner.worker_pids()
        finally:
            runner.shutdown()

    asyncio.run(scenario())


def test_workers_are_recycled_after_max_jobs():
    async def scenario():
        runner = CommandRunner(services=None, workers=1, timeout_s=30, max_jobs=2)
        try:
            pids = [(await runner.run(REGISTRY["test pid"], {})).text for _ in range(3)]
            assert pids[0] == pids[1] != pids[2]
        finally:
            runner.shutdown()

    asyncio.run(scenario())


def test_a_long_wait_for_a_worker_is_refused_with_when_to_try_again():
    async def scenario():
        runner = CommandRunner(services=None, workers=1, timeout_s=30, max_wait_s=0.5)
        try:
            first = asyncio.create_task(runner.run(REGISTRY["test sleep"], {"seconds": 4.0}))
            await asyncio.sleep(0.2)
            with pytest.raises(Busy, match=r"busy .*try again in \d+ s") as busy:
                await runner.run(REGISTRY["test pid"], {})
            assert busy.value.retry_after_s >= 5
            assert (await first).text.startswith("slept")
        finally:
            runner.shutdown()

    asyncio.run(scenario())


def test_queue_bound_rejects_instead_of_piling_up():
    async def scenario():
        runner = CommandRunner(services=None, workers=1, timeout_s=30, max_queued=1)
        try:
            first = asyncio.create_task(runner.run(REGISTRY["test sleep"], {"seconds": 1.0}))
            await asyncio.sleep(0.05)
            with pytest.raises(QueueFull):
                await runner.run(REGISTRY["test pid"], {})
            assert (await first).text.startswith("slept")
        finally:
            runner.shutdown()

    asyncio.run(scenario())


def test_light_commands_run_in_their_own_threads_with_a_deadline():
    async def scenario():
        runner = CommandRunner(services=None, workers=1, timeout_s=0.5)
        try:
            with pytest.raises(ToolTimeout, match="took longer than 0.5 s"):
                await runner.run(REGISTRY["test light-sleep"], {"seconds": 2})
            runner.timeout_s = 30
            reply = await runner.run(REGISTRY["test light-sleep"], {"seconds": 0})
            assert reply.text.startswith("tutor-light")  # not the event loop's default executor
            assert not runner.started  # light commands never start the workers
        finally:
            runner.shutdown()

    asyncio.run(scenario())


def test_shutdown_stops_a_running_demo_and_its_worker_promptly():
    async def scenario():
        runner = CommandRunner(services=None, workers=1, timeout_s=120)
        pid = int((await runner.run(REGISTRY["test pid"], {})).text)
        running = asyncio.create_task(runner.run(REGISTRY["test sleep"], {"seconds": 120}))
        await asyncio.sleep(1)
        await asyncio.to_thread(runner.shutdown)
        with pytest.raises(Exception):
            await asyncio.wait_for(running, 30)  # ends (the job is cancelled), never hangs
        assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == "zombie"
        with pytest.raises(QueueFull, match="shutting down"):
            await runner.run(REGISTRY["test pid"], {})

    asyncio.run(scenario())
