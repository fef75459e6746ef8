"""/demo tuning: grid vs random vs Bayesian hyperparameter search on the same budget."""

from __future__ import annotations

from bot.commands.registry import Option, command
from bot.reply import Image, Reply, Table
from tools.tuning import (
    DEFAULT_BUDGET_TRIALS,
    MAX_BUDGET_TRIALS,
    MAX_SEED,
    MIN_BUDGET_TRIALS,
    STRATEGIES,
    STRATEGY_LABELS,
    run_tuning,
)


@command("demo tuning", "Grid vs random vs Bayesian (TPE) search of an SVM's C and gamma",
         Option("budget", f"Trials per strategy ({MIN_BUDGET_TRIALS}-{MAX_BUDGET_TRIALS})", type=int,
                default=DEFAULT_BUDGET_TRIALS, min_value=MIN_BUDGET_TRIALS, max_value=MAX_BUDGET_TRIALS),
         Option("seed", "Random seed: the same seed gives the same trials", type=int, default=0,
                min_value=0, max_value=MAX_SEED),
         example="/demo tuning budget:30 seed:1", heavy=True, cli="demo tuning")
def demo_tuning(services, budget: int = DEFAULT_BUDGET_TRIALS, seed: int = 0) -> Reply:
    from tools.charts.tuning import render_tuning  # heavy (matplotlib): imported in the worker

    result = run_tuning(budget=budget, seed=seed)
    rows = tuple(
        (STRATEGY_LABELS[name], f"{r.best_score:.2%}", f"{r.best_C:.3g}", f"{r.best_gamma:.3g}",
         f"{r.wall_time_s:.1f}")
        for name, r in ((n, result.strategies[n]) for n in STRATEGIES)
    )
    alt = (f"Left: best cross-validated error so far against trial number for grid, random and TPE "
           f"search ({budget} trials each). Right: the (C, gamma) points each strategy tried, on a "
           f"log-log map of the true accuracy.")
    return Reply(
        text=result.summary,
        title="Hyperparameter tuning: grid vs random vs Bayesian",
        images=(Image("tuning.png", render_tuning(result), alt),),
        tables=(Table(("strategy", "best CV accuracy", "C", "gamma", "time (s)"), rows),),
        data=result.to_dict(),
    )
