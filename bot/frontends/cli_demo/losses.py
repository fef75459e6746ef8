"""``tutor demo focal-loss``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from bot.frontends.cli_demo import demo_app, run_demo
from tools.focal_loss import DEFAULT_GAMMAS_TEXT

JsonFlag = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]
OutPng = Annotated[Optional[Path], typer.Option("--out", help="Save the chart to this PNG path.")]


@demo_app.command("focal-loss")
def focal_loss(
    gamma: Annotated[str, typer.Option("--gamma", help="Gammas, comma or space separated (up to 8, each 0-10).")]
    = DEFAULT_GAMMAS_TEXT,
    alpha: Annotated[Optional[float], typer.Option("--alpha", help="Weight on positives in (0, 1]; default none.")]
    = None,
    seed: Annotated[int, typer.Option("--seed", help="Random seed for the data and the model.")] = 0,
    as_json: JsonFlag = False,
    out: OutPng = None,
) -> None:
    """Focal loss vs BCE: loss curves, a table and a BCE-vs-focal run on imbalanced data."""
    run_demo("demo focal-loss", {"gammas": gamma, "alpha": alpha, "seed": seed}, as_json, out)
