"""``tutor demo tuning``: grid vs random vs Bayesian hyperparameter search.

Numbers are taken as text and checked by the command registry, so a bad value gets the same
one-line ``error:`` (exit 2) as on Discord and the console.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from bot.frontends.cli_demo import demo_app, run_demo
from tools.tuning import DEFAULT_BUDGET_TRIALS, MAX_BUDGET_TRIALS, MAX_SEED, MIN_BUDGET_TRIALS

BUDGET_HELP = f"Trials per strategy, {MIN_BUDGET_TRIALS}-{MAX_BUDGET_TRIALS} (default {DEFAULT_BUDGET_TRIALS})."
SEED_HELP = f"Random seed, 0-{MAX_SEED:,} (default 0): the same seed gives the same result."


@demo_app.command("tuning")
def tuning(
    budget: Annotated[Optional[str], typer.Option("--budget", metavar="N", help=BUDGET_HELP)] = None,
    seed: Annotated[Optional[str], typer.Option("--seed", metavar="S", help=SEED_HELP)] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")] = False,
    out: Annotated[Optional[Path], typer.Option("--out", metavar="PNG", help="Save the chart here.")] = None,
) -> None:
    """Tune an SVM's C and gamma by grid, random and Bayesian (TPE) search on equal budgets."""
    run_demo("demo tuning", {"budget": budget, "seed": seed}, as_json, out)
