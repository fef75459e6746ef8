"""Quiz answers under load: N simulated users answer concurrently, each in its own thread.

Every user starts a ``/quiz`` and answers its questions by pressing the answer buttons
(``run_action("quiz", payload)``, exactly what Discord and the console do): payload check, one
SQLite transaction (grade, FSRS card update, answer row, session advance, fsync) and the
feedback reply. Latency is measured around that call. Users wait a random "think time" between
answers (``--think-ms``, uniform from 0 to the given value; 0 = every user presses as fast as it
can, a worst-case burst). Afterwards the answers in the database are counted and must equal the
answers acknowledged.

Run: .venv/bin/python bench/quiz.py [--users 200] [--questions 10] [--think-ms 200]
Prints answers/s and p50/p95/p99 latency; target: p95 < 20 ms. Exit status 1 if answers are missing.
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.commands.registry import invoke, load_commands, run_action  # noqa: E402
from bot.context import Caller  # noqa: E402
from bot.learning.store import close_stores, store_for  # noqa: E402
from bot.services import Services  # noqa: E402
from bot.settings import Settings  # noqa: E402

TARGET_P95_MS = 20.0
GUILDS = 5
TOPICS = ("vanishing-gradient", "batch-normalization", "relu", "internal-covariate-shift", "logistic-regression",
          "feature-scaling", "precision-recall", "focal-loss", "image-processing", "hyperparameter-tuning",
          "word2vec-vs-bert")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))]


def run(users: int, questions: int, think_ms: float, data_dir: Path) -> int:
    load_commands()
    services = Services(Settings(data_dir=data_dir))
    _ = services.articles
    store_for(services)  # open and migrate before the clock starts
    latencies: list[float] = []
    failures: list[str] = []
    acknowledged = 0
    lock = threading.Lock()
    ready = threading.Barrier(users + 1)

    def user(uid: int) -> None:
        nonlocal acknowledged
        rng = random.Random(uid)
        caller = Caller(user_id=10_000 + uid, guild_id=1 + uid % GUILDS, display_name=f"user{uid}")
        try:
            reply = invoke("quiz", services, {"topic": TOPICS[uid % len(TOPICS)], "count": questions}, caller)
        except Exception as exc:  # noqa: BLE001 - reported below
            failures.append(f"user {uid} could not start: {exc!r}")
            ready.wait()
            return
        ready.wait()
        mine: list[float] = []
        while reply.actions:
            if think_ms:
                time.sleep(rng.uniform(0, think_ms) / 1000)
            action = rng.choice(reply.actions)
            start = time.perf_counter()
            try:
                reply = run_action(action.command, action.payload, services, caller)
            except Exception as exc:  # noqa: BLE001
                failures.append(f"user {uid}: {exc!r}")
                break
            mine.append((time.perf_counter() - start) * 1000)
        with lock:
            latencies.extend(mine)
            acknowledged += len(mine)

    threads = [threading.Thread(target=user, args=(u,)) for u in range(users)]
    for t in threads:
        t.start()
    ready.wait()
    wall_start = time.perf_counter()
    for t in threads:
        t.join()
    wall = time.perf_counter() - wall_start

    db_path = data_dir / "learning.db"
    close_stores()
    db = sqlite3.connect(db_path)
    in_db = db.execute("SELECT COUNT(*) FROM answers").fetchone()[0]
    integrity = db.execute("PRAGMA integrity_check").fetchone()[0]
    db.close()

    p50, p95, p99 = (percentile(latencies, q) for q in (50, 95, 99)) if latencies else (0.0, 0.0, 0.0)
    print(f"{users} users x {questions} questions, think time 0-{think_ms:g} ms, {GUILDS} guilds")
    print(f"answers acknowledged   {acknowledged:,} in {wall:.2f} s  ->  {acknowledged / wall:,.0f} answers/s")
    print(f"record-answer latency  p50 {p50:.2f} ms  p95 {p95:.2f} ms  p99 {p99:.2f} ms  "
          f"max {max(latencies, default=0):.2f} ms  mean {statistics.fmean(latencies) if latencies else 0:.2f} ms")
    if think_ms:
        print(f"target p95 < {TARGET_P95_MS:g} ms: {'met' if p95 < TARGET_P95_MS else 'MISSED'}")
    print(f"answers in the database {in_db:,} (acknowledged {acknowledged:,}): "
          f"{'match' if in_db == acknowledged else 'MISMATCH'}; integrity_check: {integrity}")
    for failure in failures[:5]:
        print("failure:", failure)
    return 0 if in_db == acknowledged and integrity == "ok" and not failures else 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--questions", type=int, default=10, help="questions per user (1-10)")
    parser.add_argument("--think-ms", type=float, default=200.0,
                        help="paced scenario: max random pause between a user's answers")
    parser.add_argument("--data-dir", type=Path, help="where learning.db goes (default: a temporary directory)")
    args = parser.parse_args()
    status = 0
    for label, think in (("burst", 0.0), ("paced", args.think_ms)):
        print(f"--- {label}")
        if args.data_dir:
            status |= run(args.users, args.questions, think, args.data_dir / label)
            continue
        with tempfile.TemporaryDirectory(prefix="quiz-bench-") as tmp:
            status |= run(args.users, args.questions, think, Path(tmp))
    sys.exit(status)


if __name__ == "__main__":
    main()
