"""The bot's process describes every command without importing what only the demos need."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tools import demo_inputs

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("torch", "sklearn", "matplotlib", "skimage", "optuna", "transformers", "sentence_transformers")


def test_loading_every_command_imports_no_heavy_library():
    code = ("import sys; from bot.commands.registry import all_commands; n = len(all_commands()); "
            f"heavy = [m for m in {HEAVY!r} if m in sys.modules]; assert not heavy, heavy; print(n)")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert int(done.stdout) > 20  # the demos were registered, not skipped


def test_the_light_limits_are_the_ones_the_demos_enforce():
    from tools.activations import ACTIVATIONS, GRID_MAX_X, GRID_MIN_X
    from tools.charts.image_ops import TITLES
    from tools.gradient_flow import INITS, MAX_DEPTH
    from tools.image_ops import OPS

    assert tuple(ACTIVATIONS) == demo_inputs.ACTIVATION_NAMES
    assert GRID_MAX_X == demo_inputs.ACTIVATION_GRID_MAX_X == -GRID_MIN_X
    assert set(TITLES) == set(OPS)
    assert INITS == demo_inputs.FLOW_INITS and MAX_DEPTH == demo_inputs.FLOW_MAX_DEPTH
