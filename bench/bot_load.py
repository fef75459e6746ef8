"""Load benchmark of the Discord front end against the local stand-in (127.0.0.1).

20 heavy demo commands are fired at once from 20 students while a stream of light commands
(/help, /roadmap, /ask) keeps arriving. Prints interaction acknowledgement latency (p50/p95/max),
the event loop's worst lag, completion time and errors. The stand-in shares the bot's event loop,
so its lag counts against us too: the figures are conservative.

Run: .venv/bin/python bench/bot_load.py
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import percentile  # noqa: E402

HEAVY = 20
LIGHT = 60
LIGHT_INTERVAL_S = 0.1




async def main() -> None:
    from bot.frontends.discord_bot import TutorBot
    from bot.services import Services
    from bot.settings import Settings
    from tests.discord_standin import DiscordStandIn

    data_dir = Path(tempfile.mkdtemp(prefix="tutor-load-"))
    settings = Settings(data_dir=data_dir, cooldown_s=0, heavy_cooldown_s=0, guild_max_heavy=HEAVY,
                        max_queued_heavy=100)
    services = Services(settings)
    await asyncio.to_thread(services.warm_up)

    lag_max = 0.0
    stop = asyncio.Event()

    async def lag_probe() -> None:
        nonlocal lag_max
        while not stop.is_set():
            t = time.perf_counter()
            await asyncio.sleep(0.01)
            lag_max = max(lag_max, time.perf_counter() - t - 0.01)

    async with DiscordStandIn() as standin:
        settings = settings.model_copy(update={"dev_guild_id": standin.guild.id})
        bot = TutorBot(settings, services=services)
        async with standin.run_client(bot, timeout=120):
            # warm the worker pool so we measure steady state, not process start-up
            warm = await standin.send_slash_command("demo activations")
            await warm.wait_for_final(timeout=120, predicate=lambda m: not m.loading)

            probe = asyncio.create_task(lag_probe())
            students = [standin.add_user(f"student{i}") for i in range(HEAVY + LIGHT)]
            started = time.perf_counter()
            heavy = []
            for i in range(HEAVY):
                command, options = [("plot gradient-flow", {"depth": 20}), ("demo activations", {}),
                                    ("metrics confusion-matrix", {"matrix": "[[50,10],[5,35]]"}),
                                    ("demo feature-scaling", {})][i % 4]
                heavy.append(await standin.send_slash_command(command, options, user=students[i]))
            light = []
            for i in range(LIGHT):
                command, options = [("help", {}), ("roadmap", {}),
                                    ("ask", {"question": "why does relu help deep nets?"})][i % 3]
                light.append(await standin.send_slash_command(command, options, user=students[HEAVY + i]))
                await asyncio.sleep(LIGHT_INTERVAL_S)
            handles = heavy + light
            errors = 0
            for h in handles:
                try:
                    await h.wait_for_response(timeout=10)
                    final = await h.wait_for_final(timeout=300, predicate=lambda m: not m.loading)
                    if final is None or not final.embeds:
                        errors += 1
                except Exception:
                    errors += 1
            elapsed = time.perf_counter() - started
            stop.set()
            await probe

    acks = [h.response_latency * 1000 for h in handles if h.response_latency is not None]
    print(f"interactions: {HEAVY} heavy + {LIGHT} light, on {settings.worker_processes or 'all'} worker processes")
    print(f"ack latency: p50 {statistics.median(acks):.1f} ms, p95 {percentile(acks, 0.95):.1f} ms, "
          f"max {max(acks):.1f} ms  (targets: p95 < 100 ms, max < 500 ms)")
    print(f"event loop lag max: {lag_max * 1000:.1f} ms  (target < 100 ms)")
    print(f"completion of all {len(handles)} commands: {elapsed:.1f} s")
    print(f"errors: {errors}  (target 0)")


if __name__ == "__main__":
    asyncio.run(main())
