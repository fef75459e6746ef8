"""The runner really runs heavy commands in other processes, with a hard timeout."""

import asyncio
import os
import time

import pytest

from bot.commands.registry import REGISTRY, CommandSpec, register
from bot.reply import Reply
from bot.runtime.runner import CommandRunner, QueueFull, ToolTimeout


def _pid(services) -> Reply:
    return Reply(text=str(os.getpid()))


def _sleep(services, seconds: float = 5.0) -> Reply:
    time.sleep(seconds)
    return Reply(text="slept")


for _spec in (CommandSpec("test pid", "pid", _pid, heavy=True, hidden=True),
              CommandSpec("test sleep", "sleep", _sleep, heavy=True, hidden=True)):
    if _spec.name not in REGISTRY:
        register(_spec)


def test_heavy_commands_run_in_a_worker_process_and_time_out():
    async def scenario():
        runner = CommandRunner(services=None, workers=1, timeout_s=30)
        try:
            reply = await runner.run(REGISTRY["test pid"], {})
            assert int(reply.text) != os.getpid()
            runner.timeout_s = 0.5
            started = time.perf_counter()
            with pytest.raises(ToolTimeout, match="took longer than 0.5 s"):
                await runner.run(REGISTRY["test sleep"], {"seconds": 30})
            assert time.perf_counter() - started < 5
            runner.timeout_s = 30
            reply = await runner.run(REGISTRY["test pid"], {})  # the recycled pool works again
            assert reply.text.isdigit()
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
            assert (await first).text == "slept"
        finally:
            runner.shutdown()

    asyncio.run(scenario())
