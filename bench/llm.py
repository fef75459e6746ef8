"""LLM-layer benchmark: the bot's own overhead per answer, and time to the first message edit.

Runs the real retrieval (model + index) and the real ``openai`` client against the local
stand-in server from the tests (127.0.0.1, answers instantly), so what is measured is the bot:

* overhead = retrieval + prompt build + post-processing (citation check + building the Reply);
  target < 30 ms p50;
* time to first edit = from ``stream_answer`` being called to the first throttled edit (what a
  student waits for before text appears), including the stand-in's HTTP round trip.

Run: .venv/bin/python bench/llm.py [--rounds 10]   (figures, not pass/fail)

With ``--base-url URL`` it measures a real server instead, over the dev questions: answers shown
as generated vs. fallbacks by reason, time to the first edit and to the verified answer, prompt
tokens before/after the excerpts, and the overhead (see :mod:`bench.llm_server`).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import QUESTIONS, percentile  # noqa: E402





def line(name: str, values: list[float]) -> str:
    return (f"{name:<34} p50 {statistics.median(values):7.1f} ms   p95 {percentile(values, 0.95):7.1f} ms   "
            f"(n={len(values)})")


async def run(rounds: int) -> None:
    from bot.llm.backend import OpenAIChatBackend, thread_tool_runner
    from bot.replies import result_reply
    from bot.llm.streaming import throttle_edits
    from bot.services import Services
    from tests.llm.standin import Respond, Say, StandIn, passages_of

    def grounded_answer(body: dict) -> Say:  # a model that paraphrases passages 1-3 and cites them
        sentences = []
        for n, passage in sorted(passages_of(body["messages"]).items())[:3]:
            text = " ".join(passage.split("\n", 1)[-1].split()[:35]).rstrip(".,;")
            sentences.append(f"{text} [{n}].")
        return Say(" ".join(sentences), chunk_chars=12)

    services = Services()
    t = time.perf_counter()
    services.warm_up()
    print(f"warm-up (model + index): {time.perf_counter() - t:.1f} s")
    server = StandIn().start()
    backend = OpenAIChatBackend(services.answerer, base_url=server.url, model=server.model,
                                run_tool=thread_tool_runner(services, 60.0), timeout_s=10, max_tokens=400)
    retrieval, prompt, post, overhead, first_edit, total, llm = [], [], [], [], [], [], []
    try:
        for q in QUESTIONS:  # warm the HTTP connection, the code paths and per-query caches
            server.push(Respond(grounded_answer))
            async for _ in backend.stream_answer(q):
                pass
        for _ in range(rounds):
            for q in QUESTIONS:
                server.push(Respond(grounded_answer))
                start = time.perf_counter()
                first = None
                result = None
                async for edit in throttle_edits(backend.stream_answer(q), interval_s=1.0, final_waits=False):
                    if first is None:
                        first = (time.perf_counter() - start) * 1000
                    if edit.final:
                        result = edit.result
                t = time.perf_counter()
                reply = result_reply(result)
                reply_ms = (time.perf_counter() - t) * 1000
                total.append((time.perf_counter() - start) * 1000)
                if result.abstained or result.fallback:
                    print(f"  (skipped: {q!r} {'abstained' if result.abstained else result.note})")
                    continue
                assert reply.sources, q
                tm = result.timings_ms
                retrieval.append(tm["retrieval_ms"])
                prompt.append(tm["prompt_ms"])
                post.append(tm["post_ms"] + reply_ms)
                overhead.append(tm["retrieval_ms"] + tm["prompt_ms"] + tm["post_ms"] + reply_ms)
                llm.append(tm["llm_ms"])
                first_edit.append(first or 0.0)
    finally:
        await backend.aclose()
        server.stop()

    import torch

    print(f"\n{len(overhead)} answers over the stand-in ({len(QUESTIONS)} questions x {rounds} rounds); "
          f"torch threads {torch.get_num_threads()} (on a busy 2-core box OMP_NUM_THREADS=1 avoids ~400 ms spikes)")
    print(line("retrieval (embed + hybrid search)", retrieval), " max", round(max(retrieval), 1))
    print(line("prompt build", prompt))
    print(line("post-processing (citations, Reply)", post))
    print(line("bot overhead per answer", overhead) + "   target < 30 ms p50")
    print(line("stand-in round trip (stream)", llm))
    print(line("time to first edit", first_edit))
    print(line("end to end (stand-in answers at once)", total))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--base-url", help="a real OpenAI-compatible server (…/v1) instead of the stand-in")
    parser.add_argument("--model", help="model name on that server (default: the first it lists)")
    parser.add_argument("--limit", type=int, default=40, help="dev questions to ask the real server")
    parser.add_argument("--max-tokens", type=int, default=160)
    parser.add_argument("--timeout", type=float, default=120.0)
    args = parser.parse_args()
    if args.base_url:
        from bench.llm_server import run as run_server

        asyncio.run(run_server(args.base_url, args.model, args.limit, args.max_tokens, args.timeout))
        return
    asyncio.run(run(args.rounds))


if __name__ == "__main__":
    main()
