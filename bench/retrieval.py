"""Retrieval benchmark: warm query latency, cold start of `tutor ask`, index build time, peak RSS.

Run: .venv/bin/python bench/retrieval.py   (figures, not pass/fail; targets in the README)
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import QUESTIONS as QUERIES, percentile  # noqa: E402





def main() -> None:
    data_dir = Path(tempfile.mkdtemp(prefix="tutor-bench-"))
    env = {**os.environ, "TUTOR_DATA_DIR": str(data_dir)}
    os.environ.update(TUTOR_DATA_DIR=str(data_dir))

    from bot.services import Services
    from bot.settings import Settings
    from knowledge.embedder import get_embedder
    from knowledge.index_store import build_index

    settings = Settings()
    embedder = get_embedder()
    start = time.perf_counter()
    build_index(settings.index_dir, embedder)
    build_s = time.perf_counter() - start

    services = Services(settings)
    services.warm_up()
    kb = services.kb
    for q in QUERIES:  # warm-up
        kb.search(q)
    search_ms, ask_ms = [], []
    for _ in range(20):
        for q in QUERIES:
            t = time.perf_counter()
            kb.search(q, k=5)
            search_ms.append((time.perf_counter() - t) * 1000)
            if any(ch.isdigit() for ch in q):
                continue  # computed answers run a calculator: not part of the ask target
            t = time.perf_counter()
            services.answerer.answer(q)
            ask_ms.append((time.perf_counter() - t) * 1000)
    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    tutor = Path(sys.executable).parent / "tutor"
    colds = []
    for _ in range(3):
        t = time.perf_counter()
        subprocess.run([str(tutor), "ask", "what is batch normalization", "--json"], env=env,
                       capture_output=True, check=True)
        colds.append(time.perf_counter() - t)

    print(f"index build (passages + sentences, warm model): {build_s:.2f} s")
    print(f"search incl. query embedding: p50 {statistics.median(search_ms):.1f} ms, "
          f"p95 {percentile(search_ms, 0.95):.1f} ms  (target p50 < 15 ms, p95 < 40 ms)")
    print(f"ask (search + authored match + extractive answer, no numbers in the question): "
          f"p50 {statistics.median(ask_ms):.1f} ms, p95 {percentile(ask_ms, 0.95):.1f} ms  (target p50 < 15 ms; "
          f"{statistics.median(ask_ms) / statistics.median(search_ms):.2f}× the search p50 in this run)")
    print(f"cold start `tutor ask` to first answer: median {statistics.median(colds):.2f} s "
          f"(min {min(colds):.2f} s; target < 6 s)")
    print(f"peak RSS of this process: {peak_rss_mb:.0f} MB  (target < 1,200 MB)")


if __name__ == "__main__":
    main()
