"""Per-demo benchmark: warm wall time and peak RSS, each demo in a fresh process.

Each case runs once to warm up (imports, data loading, model load) and then is timed over a few
runs; peak RSS is the child process's high-water mark. Figures, not pass/fail: compare with the
targets (2-core CPU) printed alongside.

Run: .venv/bin/python bench/tools.py [NAME ...]
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# (label, registry command, options, target seconds)
CASES: list[tuple[str, str, dict[str, object], float]] = [
    ("gradient-flow depth 20 + PNG", "plot gradient-flow", {"depth": 20}, 1.0),
    ("activations", "demo activations", {}, 1.0),
    ("batchnorm (default steps)", "demo batchnorm", {}, 8.0),
    ("confusion-matrix", "metrics confusion-matrix", {"matrix": "[[50,10],[5,35]]"}, 0.3),
    ("pr-curve (cancer)", "metrics pr-curve", {"scenario": "cancer"}, 1.0),
    ("embeddings compare", "embeddings compare",
     {"word": "bank", "sentence1": "I sat on the river bank", "sentence2": "I deposited cash at the bank"}, 0.8),
    ("embeddings analogy", "embeddings analogy", {"expression": "king - man + woman"}, 0.8),
    ("focal-loss", "demo focal-loss", {}, 3.0),
    ("feature-scaling", "demo feature-scaling", {}, 1.5),
    ("logistic", "demo logistic", {}, 1.0),
    ("image clahe (bundled sample)", "image", {"op": "clahe"}, 1.0),
    ("image augment (bundled sample)", "image", {"op": "augment"}, 1.0),
    ("tuning budget 30", "demo tuning", {"budget": 30}, 12.0),
]

CHILD = r"""
import json, resource, sys, time
sys.path.insert(0, sys.argv[1])
from bot.commands import invoke
from bot.services import Services
name, args, repeats = sys.argv[2], json.loads(sys.argv[3]), int(sys.argv[4])
services = Services()
invoke(name, services, args)  # warm-up
times = []
for _ in range(repeats):
    t = time.perf_counter()
    invoke(name, services, args)
    times.append(time.perf_counter() - t)
print(json.dumps({"best_s": min(times), "median_s": sorted(times)[len(times) // 2],
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""




def main(selected: list[str]) -> None:
    print(f"{'demo':34} {'warm median':>12} {'best':>8} {'target':>8} {'peak RSS':>10}")
    for label, command, args, target in CASES:
        if selected and not any(s in label for s in selected):
            continue
        repeats = 1 if target >= 8 else 3
        proc = subprocess.run([sys.executable, "-c", CHILD, str(ROOT), command, json.dumps(args), str(repeats)],
                              capture_output=True, text=True, timeout=600)
        if proc.returncode != 0:
            print(f"{label:34} FAILED: {proc.stderr.strip().splitlines()[-1] if proc.stderr else '?'}")
            continue
        r = json.loads(proc.stdout.strip().splitlines()[-1])
        flag = "" if r["median_s"] <= target else "  (over target)"
        print(f"{label:34} {r['median_s']:>10.2f} s {r['best_s']:>6.2f} s {target:>6.1f} s "
              f"{r['peak_rss_mb']:>7.0f} MB{flag}")
    if not selected or any("2 MP" in s or "image" in s for s in selected):
        large_images()


LARGE_IMAGE_CHILD = r"""
import sys, time
sys.path.insert(0, sys.argv[1])
from skimage import data, transform
from tools.image_loader import LoadedImage
from tools.image_ops import OPS, apply_op
big = transform.resize(data.astronaut() / 255.0, (1150, 1730), order=1)
big.setflags(write=False)
image = LoadedImage(big, "2 MP astronaut", "PNG", big.shape[1], big.shape[0])
for op in OPS:
    times = []
    for _ in range(3):
        start = time.perf_counter()
        apply_op(op, image)
        times.append(time.perf_counter() - start)
    print(op, sorted(times)[1], min(times))
"""


def large_images(target_s: float = 1.0) -> None:
    """Every image operation on a 2-megapixel colour picture (the largest a user may send)."""
    proc = subprocess.run([sys.executable, "-c", LARGE_IMAGE_CHILD, str(ROOT)], capture_output=True, text=True,
                          timeout=600)
    if proc.returncode != 0:
        print(f"{'image ops (2 MP upload)':34} FAILED: {proc.stderr.strip().splitlines()[-1] if proc.stderr else '?'}")
        return
    for line in proc.stdout.split("\n"):
        if not line.strip():
            continue
        op, median, best = line.split()
        flag = "" if float(median) <= target_s else "  (over target)"
        print(f"{'image ' + op + ' (2 MP upload)':34} {float(median):>10.2f} s {float(best):>6.2f} s "
              f"{target_s:>6.1f} s{flag}")

if __name__ == "__main__":
    main(sys.argv[1:])
