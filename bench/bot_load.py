"""Load benchmark of the Discord front end against the local stand-ins (127.0.0.1 only).

100 interactions from 100 students arrive together: heavy demos (worker processes), light
commands (threads) and LLM answers whose model (the OpenAI-compatible stand-in) first calls a
demo as a tool, then answers. Discord's stand-in enforces its rate-limit buckets and we inject
extra 429s (route and global) on the reply endpoints. Prints interaction acknowledgement
latency, the event loop's worst lag, errors, lost replies, how many 429s the bot rode out and
the peak resident memory of the bot and its worker processes together. The Discord stand-in
and the students run on their own event loop in another thread (Discord is another machine), so
the lag probe sees only the bot's loop; the stand-ins still share the bot's process (its GIL and
its RSS), so the figures are conservative.

Targets: ack p95 < 100 ms, loop lag max < 100 ms, 0 errors, 0 lost replies, total RSS < 1,500 MB.

Run: .venv/bin/python bench/bot_load.py
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import percentile  # noqa: E402

HEAVY = 25
LIGHT = 50
LLM = 25
ROUTE_429S = 8  # injected on the edits of interaction replies
GLOBAL_429S = 3  # injected bot-wide 429s
SAMPLE_S = 0.25
ANSWER = ("Precision is the share of predicted positives that are right and recall the share of actual "
          "positives found [1].")
HEAVY_COMMANDS = [("plot gradient-flow", {"depth": 20}), ("demo activations", {}),
                  ("metrics confusion-matrix", {"matrix": "[[50,10],[5,35]]"}), ("demo feature-scaling", {})]
LIGHT_COMMANDS = [("help", {}), ("roadmap", {}), ("search", {"query": "dying relu"}),
                  ("explain", {"topic": "relu"})]


def settled(handle):  # noqa: ANN001, ANN201 - a stand-in InteractionHandle → its reply, once there
    """The reply a student sees: an error follow-up, or the original once it is the final embed
    (not "thinking…", not a streamed preview)."""
    if handle.followups:
        return handle.followups[-1]
    message = handle.original
    return message if message is not None and not message.loading and message.embeds else None


def memory_mb(pids: list[int]) -> tuple[float, float]:
    """(RSS, PSS) of these processes together: RSS counts the libraries they share (torch…) once
    per process, PSS splits shared pages between them."""
    rss = pss = 0
    for pid in pids:
        try:
            info = psutil.Process(pid).memory_full_info()
        except psutil.Error:
            continue
        rss += info.rss
        pss += getattr(info, "pss", info.rss)
    return rss / 2**20, pss / 2**20


class HarnessLoop:
    """An event loop in a thread of its own for the stand-in Discord and the students."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="harness", daemon=True)
        self.thread.start()

    def call(self, coro):  # noqa: ANN001, ANN201 - blocking: for set-up and tear-down
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(120)

    async def wait(self, coro):  # noqa: ANN001, ANN201 - awaited from the bot's loop
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coro, self.loop))

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


async def main() -> None:
    from bot.frontends.discord_bot import TutorBot
    from bot.services import Services
    from bot.settings import Settings
    from tests.discord_standin import DiscordStandIn
    from tests.llm.standin import CallTool, Respond, Say, StandIn

    def model_turn(body: dict) -> object:
        """The stand-in model: call the confusion-matrix demo first, answer once it has the result."""
        if any(m.get("role") == "tool" for m in body.get("messages", [])):
            return Say(ANSWER, chunk_chars=24)
        return CallTool("metrics_confusion_matrix", json.dumps({"matrix": [[50, 10], [5, 35]]}))

    llm = StandIn().start()
    llm.push(*[Respond(model_turn) for _ in range(LLM * 4)])
    data_dir = Path(tempfile.mkdtemp(prefix="tutor-load-"))
    existing = ROOT / "var" / "index"
    if existing.exists():  # reuse a built index (the article index is not what we measure)
        import shutil

        shutil.copytree(existing, data_dir / "index")
    settings = Settings(data_dir=data_dir, cooldown_s=0, heavy_cooldown_s=0, guild_max_heavy=HEAVY + LLM,
                        max_queued_heavy=200, queue_wait_s=600, llm_base_url=llm.url, llm_model=llm.model,
                        llm_timeout_s=120)
    services = Services(settings)
    await asyncio.to_thread(services.warm_up)

    lag_max = 0.0
    peak_rss = peak_pss = 0.0
    stop = asyncio.Event()

    async def lag_probe(measuring: threading.Event) -> None:
        nonlocal lag_max
        while not stop.is_set():
            t = time.perf_counter()
            await asyncio.sleep(0.01)
            if measuring.is_set():  # from the first student's interaction on
                lag_max = max(lag_max, time.perf_counter() - t - 0.01)

    async def rss_probe(bot: TutorBot) -> None:
        nonlocal peak_rss, peak_pss
        while not stop.is_set():
            pids = [os.getpid(), *bot.runner.worker_pids()]
            rss, pss = await asyncio.to_thread(memory_mb, pids)
            peak_rss, peak_pss = max(peak_rss, rss), max(peak_pss, pss)
            await asyncio.sleep(SAMPLE_S)

    # The Discord stand-in and the students run on an event loop of their own in another thread,
    # as Discord is another machine: the bot's loop (this one) does only the bot's work, so its
    # lag probe measures the bot. They still share this process (the GIL, and the RSS figure).
    harness = HarnessLoop()
    standin = harness.call(DiscordStandIn().start())
    settings = settings.model_copy(update={"dev_guild_id": standin.guild.id})
    bot = TutorBot(settings, services=services, owns_services=True)
    client = asyncio.create_task(bot.start(standin.token), name="bot")
    await harness.wait(standin.wait_until_connected(120))
    await asyncio.wait_for(bot.wait_until_ready(), 120)

    async def students_act() -> tuple[list, float, int, int, int, int]:
        """Runs on the harness loop: every student's interaction, then every reply."""
        # start the workers so we measure steady state, not process start-up
        warm = await standin.send_slash_command("demo activations")
        await warm.wait_for_final(timeout=300, predicate=lambda m: not m.loading)
        standin.rate_limit_next("PATCH", r"/webhooks/\d+/[^/]+/messages/@original", 0.3, times=ROUTE_429S)
        standin.rate_limit_next("POST", r"/webhooks/\d+/[^/]+", 0.2, scope="global", times=GLOBAL_429S)
        already_limited = len(standin.rate_limited)
        students = [standin.add_user(f"student{i}") for i in range(HEAVY + LIGHT + LLM)]
        kinds = ["heavy"] * HEAVY + ["light"] * LIGHT + ["llm"] * LLM
        order = sorted(range(len(kinds)), key=lambda i: (i * 37) % len(kinds))  # interleaved
        measuring.set()
        started = time.perf_counter()
        handles = []
        for n, i in enumerate(order):
            kind = kinds[i]
            if kind == "heavy":
                command, options = HEAVY_COMMANDS[n % len(HEAVY_COMMANDS)]
            elif kind == "light":
                command, options = LIGHT_COMMANDS[n % len(LIGHT_COMMANDS)]
            else:
                command, options = "ask", {"question": "what are precision and recall for my confusion matrix?"}
            handles.append((kind, await standin.send_slash_command(command, options, user=students[i])))
        errors = lost = busy = 0
        for kind, h in handles:
            try:
                await h.wait_for_response(timeout=30)
                await h.wait_for(settled, timeout=600)
            except Exception:
                lost += 1
                continue
            final = settled(h)
            text = (final.content or "") + " ".join(e.get("description", "") for e in final.embeds)
            if "busy" in text and "try again" in text:
                busy += 1
            elif "went wrong" in text or not final.embeds:
                errors += 1
        elapsed = time.perf_counter() - started
        return handles, elapsed, errors, lost, busy, len(standin.rate_limited) - already_limited

    measuring = threading.Event()
    probes = [asyncio.create_task(lag_probe(measuring)), asyncio.create_task(rss_probe(bot))]
    try:
        handles, elapsed, errors, lost, busy, limited = await harness.wait(students_act())
    finally:
        stop.set()
        await asyncio.gather(*probes)
        await bot.close()
        with contextlib.suppress(BaseException):
            await asyncio.wait_for(client, 10)
        harness.call(standin.__aexit__(None, None, None))  # stops it; a strict stand-in checks it was used cleanly
        harness.close()
    llm.stop()

    acks = [h.response_latency * 1000 for _, h in handles if h.response_latency is not None]
    print(f"interactions: {HEAVY} heavy + {LIGHT} light + {LLM} LLM answers with a demo tool call, "
          f"on {bot.runner.workers} worker processes")
    print(f"ack latency: p50 {statistics.median(acks):.1f} ms, p95 {percentile(acks, 0.95):.1f} ms, "
          f"max {max(acks):.1f} ms  (target: p95 < 100 ms)")
    print(f"event loop lag max: {lag_max * 1000:.1f} ms  (target < 100 ms)")
    print(f"429s answered by the stand-in and ridden out: {limited} ({ROUTE_429S} route + {GLOBAL_429S} global "
          "injected, the rest from its buckets)")
    print(f"completion of all {len(handles)} interactions: {elapsed:.1f} s")
    print(f"errors: {errors}, lost replies: {lost}, told busy: {busy}  (targets 0, 0)")
    print(f"total RSS (bot + workers): {peak_rss:.0f} MB at peak  (target < 1,500 MB; PSS, shared pages "
          f"counted once: {peak_pss:.0f} MB; the stand-ins run in the bot's process and count too)")


if __name__ == "__main__":
    asyncio.run(main())
