"""Load benchmark of the Discord front end against the local stand-ins (127.0.0.1 only).

100 interactions from 100 students arrive together: heavy demos (worker processes), light
commands (threads) and LLM answers whose model (the OpenAI-compatible stand-in) first calls a
demo as a tool, then answers. Discord's stand-in enforces its rate-limit buckets and we inject
extra 429s (route and global) on the reply endpoints. Prints interaction acknowledgement
latency, the event loop's worst lag, errors, lost replies, how many 429s the bot rode out and
the peak resident memory of the bot and its worker processes together. Discord, the LLM server
and the students are other machines in production, so their stand-ins run in processes of their
own: the bot's process holds only the bot (its GIL, its RSS), and the LLM server's stand-in (which
streams 25 answers in small chunks) has a process apart from Discord's, so it does not hold the GIL
of the process that times the acknowledgements. They still share the host's two cores with the
bot, so the figures are conservative.

Targets: ack p95 < 100 ms, loop lag max < 100 ms, 0 errors, 0 lost replies, total RSS < 1,500 MB.

Run: .venv/bin/python bench/bot_load.py [--profile]
(--profile: sample the bot loop's stack whenever it stalls > 20 ms and print the commonest stacks.)
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import multiprocessing
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import percentile  # noqa: E402

HEAVY = 25
LIGHT = 50
LLM = 25
ARRIVAL_GAP_S = 0.005  # 100 interactions arrive within half a second: all of them are in flight together
ROUTE_429S = 8  # injected on the edits of interaction replies
GLOBAL_429S = 3  # injected bot-wide 429s
SAMPLE_S = 0.25
HEAVY_LIBRARIES = ("torch", "transformers", "sentence_transformers", "sklearn", "matplotlib", "skimage", "optuna")
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


def memory_mb(bot_pid: int, stand_ins: frozenset[int] = frozenset()) -> tuple[float, float, list[str]]:
    """(RSS, PSS, one "name pid: N MB" per process) of the bot and every process it started
    (workers…) together: RSS counts the libraries they share (torch…) once per process, PSS splits
    shared pages between them."""
    rss = pss = 0
    parts = []
    try:
        bot = psutil.Process(bot_pid)
        # the bench starts the stand-ins' processes from the bot's: they are not the bot's
        others = stand_ins | {os.getpid()}
        processes = [bot, *(p for p in bot.children(recursive=True) if p.pid not in others)]
    except psutil.Error:
        return 0.0, 0.0, []
    for process in processes:
        try:
            info = process.memory_full_info()
            name = "bot" if process.pid == bot_pid else " ".join(process.cmdline()[1:3])[:40] or process.name()
        except psutil.Error:
            continue
        rss += info.rss
        pss += getattr(info, "pss", info.rss)
        parts.append(f"{name} {process.pid}: {info.rss / 2**20:.0f} MB")
    return rss / 2**20, pss / 2**20, parts


class StallProfiler:
    """Watchdog thread: when the loop's heartbeat is older than ``stall_s``, sample the loop
    thread's stack (a few innermost frames) every ms; :meth:`report` prints the commonest."""

    def __init__(self, stall_s: float = 0.02) -> None:
        import collections

        self.stall_s = stall_s
        self.beat = time.perf_counter()
        self.samples: collections.Counter[str] = collections.Counter()
        self.others: collections.Counter[str] = collections.Counter()
        self.loop_thread = threading.get_ident()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="stall-profiler", daemon=True)
        self.collections: list[tuple[int, float]] = []  # (generation, seconds): a collection holds the GIL
        self._gc_started = 0.0
        import gc

        gc.callbacks.append(self._on_gc)

    def _on_gc(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._gc_started = time.perf_counter()
        else:
            self.collections.append((info["generation"], time.perf_counter() - self._gc_started))

    async def heartbeat(self, stop: asyncio.Event) -> None:
        self._thread.start()
        while not stop.is_set():
            self.beat = time.perf_counter()
            await asyncio.sleep(0.002)
        self._stop.set()

    def _watch(self) -> None:
        import traceback

        while not self._stop.wait(0.001):
            if time.perf_counter() - self.beat < self.stall_s:
                continue
            frame = sys._current_frames().get(self.loop_thread)
            if frame is None:
                continue
            stack = [f for f in traceback.extract_stack(frame) if not f.filename.startswith("<frozen")][-6:]
            self.samples[" <- ".join(f"{Path(f.filename).name}:{f.lineno} {f.name}" for f in reversed(stack))] += 1
            names = {t.ident: t.name for t in threading.enumerate()}
            for ident, other in sys._current_frames().items():  # what the other threads were doing
                if ident in (self.loop_thread, threading.get_ident()):
                    continue
                inner = [f for f in traceback.extract_stack(other) if not f.filename.startswith("<frozen")][-3:]
                where = " <- ".join(f"{Path(f.filename).name}:{f.lineno} {f.name}" for f in reversed(inner))
                self.others[f"{names.get(ident, '?').rstrip('0123456789_')}: {where}"] += 1

    def report(self, top: int = 15) -> None:
        total = sum(self.samples.values())
        for generation in (0, 1, 2):
            times = [t for g, t in self.collections if g == generation]
            if times:
                print(f"gc generation {generation}: {len(times)} collections, max {max(times) * 1000:.1f} ms, "
                      f"total {sum(times) * 1000:.0f} ms")
        print(f"stall samples (1 per ms while the loop is > {self.stall_s * 1000:.0f} ms late): {total}")
        for stack, count in self.samples.most_common(top):
            print(f"  {count:6d}  {stack}")
        print("meanwhile in the bot's other threads (samples):")
        for stack, count in self.others.most_common(top):
            print(f"  {count:6d}  {stack}")


def _model_turn(body: dict) -> object:
    """The stand-in model: call the confusion-matrix demo first, answer once it has the result."""
    from tests.llm.standin import CallTool, Say

    if any(m.get("role") == "tool" for m in body.get("messages", [])):
        return Say(ANSWER, chunk_chars=24)
    return CallTool("metrics_confusion_matrix", json.dumps({"matrix": [[50, 10], [5, 35]]}))


def llm_process(conn) -> None:  # noqa: ANN001 - a multiprocessing Connection
    """The LLM server: its stand-in answers in a thread of this process until told to stop."""
    sys.path.insert(0, str(ROOT))
    from tests.llm.standin import Respond, StandIn

    llm = StandIn().start()
    llm.push(*[Respond(_model_turn) for _ in range(LLM * 4)])
    conn.send({"llm_url": llm.url, "llm_model": llm.model, "llm_pid": os.getpid()})
    try:
        conn.recv()
    finally:
        llm.stop()


def world_process(conn, llm: dict) -> None:  # noqa: ANN001 - a multiprocessing Connection
    """The other machines: Discord's stand-in and the students."""
    sys.path.insert(0, str(ROOT))
    asyncio.run(_world(conn, llm))


async def _world(conn, llm: dict) -> None:  # noqa: ANN001
    """Memory is sampled from here too: reading /proc/<pid>/smaps is work the bot's process
    would otherwise do under its own GIL."""
    from tests.discord_standin import DiscordStandIn

    standin = await DiscordStandIn(patch=False).start()
    conn.send({"api_base": standin.api_base, "gateway_url": standin.gateway_url, "base_url": standin.base_url,
               "token": standin.token, "guild_id": standin.guild.id, **llm})
    try:
        await standin.wait_until_connected(120)
        bot_pid = await asyncio.to_thread(conn.recv)  # the bot is ready
        peak: list = [0.0, 0.0, []]
        sampling = asyncio.Event()

        async def sample_memory() -> None:
            while not sampling.is_set():
                rss, pss, parts = await asyncio.to_thread(memory_mb, bot_pid, frozenset({llm["llm_pid"]}))
                if rss > peak[0]:
                    peak[0], peak[2] = rss, parts
                peak[1] = max(peak[1], pss)
                await asyncio.sleep(SAMPLE_S)

        sampler = asyncio.create_task(sample_memory())
        # start the workers so we measure steady state, not process start-up
        warm = await standin.send_slash_command("demo activations")
        await warm.wait_for_final(timeout=300, predicate=lambda m: not m.loading)
        standin.rate_limit_next("PATCH", r"/webhooks/\d+/[^/]+/messages/@original", 0.3, times=ROUTE_429S)
        standin.rate_limit_next("POST", r"/webhooks/\d+/[^/]+", 0.2, scope="global", times=GLOBAL_429S)
        already_limited = len(standin.rate_limited)
        students = [standin.add_user(f"student{i}") for i in range(HEAVY + LIGHT + LLM)]
        kinds = ["heavy"] * HEAVY + ["light"] * LIGHT + ["llm"] * LLM
        order = sorted(range(len(kinds)), key=lambda i: (i * 37) % len(kinds))  # interleaved
        conn.send("measuring")
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
            # on the wire now, as Discord sends it (not after the whole burst is built)
            await asyncio.sleep(ARRIVAL_GAP_S)
        arrivals_s = time.perf_counter() - started
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
        sampling.set()
        await sampler
        acks = [h.response_latency * 1000 for _, h in handles if h.response_latency is not None]
        conn.send({"rss": peak[0], "pss": peak[1], "rss_parts": peak[2], "acks": acks, "n": len(handles),
                   "arrivals_s": arrivals_s, "elapsed": time.perf_counter() - started, "errors": errors,
                   "lost": lost, "busy": busy, "limited": len(standin.rate_limited) - already_limited})
        await asyncio.to_thread(conn.recv)  # the bot has closed
    finally:
        await standin.__aexit__(None, None, None)  # stops it; a strict stand-in checks it was used cleanly


async def main() -> None:
    from bot.frontends.discord_bot import TutorBot
    from bot.services import Services
    from bot.settings import Settings
    from tests.discord_standin.server import patch_discord

    ctx = multiprocessing.get_context("spawn")
    llm_conn, llm_child_conn = ctx.Pipe()
    llm_server = ctx.Process(target=llm_process, args=(llm_child_conn,), name="llm-stand-in", daemon=True)
    llm_server.start()
    llm = await asyncio.to_thread(llm_conn.recv)
    conn, child_conn = ctx.Pipe()
    world = ctx.Process(target=world_process, args=(child_conn, llm), name="stand-ins", daemon=True)
    world.start()
    addresses = await asyncio.to_thread(conn.recv)
    data_dir = Path(tempfile.mkdtemp(prefix="tutor-load-"))
    existing = ROOT / "var" / "index"
    if existing.exists():  # reuse a built index (the article index is not what we measure)
        import shutil

        shutil.copytree(existing, data_dir / "index")
    settings = Settings(data_dir=data_dir, cooldown_s=0, heavy_cooldown_s=0, guild_max_heavy=HEAVY + LLM,
                        max_queued_heavy=200, queue_wait_s=600, llm_base_url=addresses["llm_url"],
                        llm_model=addresses["llm_model"], llm_timeout_s=120, dev_guild_id=addresses["guild_id"])
    services = Services(settings)
    await asyncio.to_thread(services.warm_up)

    lag_max = 0.0
    stop = asyncio.Event()
    measuring = threading.Event()

    async def lag_probe() -> None:
        nonlocal lag_max
        while not stop.is_set():
            t = time.perf_counter()
            await asyncio.sleep(0.01)
            if measuring.is_set():  # from the first student's interaction on
                lag_max = max(lag_max, time.perf_counter() - t - 0.01)

    with patch_discord(SimpleNamespace(**addresses)):
        bot = TutorBot(settings, services=services, owns_services=True)
        client = asyncio.create_task(bot.start(addresses["token"]), name="bot")
        await asyncio.wait_for(bot.wait_until_ready(), 120)
        probes = [asyncio.create_task(lag_probe())]
        profiler = StallProfiler() if "--profile" in sys.argv else None
        if profiler is not None:
            probes.append(asyncio.create_task(profiler.heartbeat(stop)))
        conn.send(os.getpid())  # ready
        try:
            assert await asyncio.to_thread(conn.recv) == "measuring"
            measuring.set()
            result = await asyncio.to_thread(conn.recv)
        finally:
            stop.set()
            await asyncio.gather(*probes)
            await bot.close()
            with contextlib.suppress(BaseException):
                await asyncio.wait_for(client, 10)
            conn.send("closed")
            await asyncio.to_thread(world.join, 30)
            llm_conn.send("stop")
            await asyncio.to_thread(llm_server.join, 30)

    acks = result["acks"]
    print(f"interactions: {HEAVY} heavy + {LIGHT} light + {LLM} LLM answers with a demo tool call, "
          f"arriving within {result['arrivals_s']:.2f} s, on {bot.runner.workers} worker processes")
    print(f"ack latency: p50 {statistics.median(acks):.1f} ms, p95 {percentile(acks, 0.95):.1f} ms, "
          f"max {max(acks):.1f} ms  (target: p95 < 100 ms)")
    print(f"event loop lag max: {lag_max * 1000:.1f} ms  (target < 100 ms)")
    print(f"429s answered by the stand-in and ridden out: {result['limited']} ({ROUTE_429S} route + "
          f"{GLOBAL_429S} global injected, the rest from its buckets)")
    print(f"completion of all {result['n']} interactions: {result['elapsed']:.1f} s")
    print(f"errors: {result['errors']}, lost replies: {result['lost']}, told busy: {result['busy']}  (targets 0, 0)")
    print(f"total RSS (bot + workers): {result['rss']:.0f} MB at peak  (target < 1,500 MB; PSS, shared "
          f"pages counted once: {result['pss']:.0f} MB)")
    print("  at the peak: " + "; ".join(result["rss_parts"]))
    heavy = [m for m in HEAVY_LIBRARIES if m in sys.modules]
    print(f"  heavy libraries in the bot's process: {', '.join(heavy) or 'none'} (they belong in the workers)")
    if profiler is not None:
        profiler.report()
    if world.exitcode not in (0, None):
        print(f"the stand-ins' process exited with {world.exitcode}: see its traceback above")


if __name__ == "__main__":
    asyncio.run(main())
