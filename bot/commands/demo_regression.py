"""Regression demos: /demo feature-scaling and /demo logistic."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.commands.registry import Option, command
from bot.context import Attachment
from bot.reply import Image, Reply, Table
from tools.csv_loader import MAX_CSV_BYTES, MAX_TARGET_NAME_CHARS
from tools.errors import UserInputError
from tools.feature_scaling import SCALING_LABELS, run_feature_scaling
from tools.logistic import DATASETS, DEFAULT_DATASET, TABLE_TOP_FEATURES, run_logistic
from tools.text import clip

if TYPE_CHECKING:
    from bot.services import Services

MAX_REPLY_CHARS = 1_500


def _coefficient(value: float) -> str:
    if value == 0 or 1e-3 <= abs(value) < 1e5:
        return f"{value:.3g}"
    return f"{value:.2e}"


@command("demo feature-scaling", "Gradient descent on raw vs standardized features: contours, condition number",
         example="/demo feature-scaling", heavy=True, cli="demo feature-scaling")
def feature_scaling(services: Services) -> Reply:
    from tools.charts.feature_scaling import render_feature_scaling  # heavy (matplotlib): in the worker

    result = run_feature_scaling()
    rows = tuple(
        (SCALING_LABELS[r.scaling], f"{r.condition_number:.3g}", f"{r.lr_max:.3g}",
         f"{r.iterations:,}" if r.converged else f"> {r.iterations:,} (stopped)",
         f"{r.final_loss:,.2f}", "yes" if r.stable_below and r.diverged_above else "no")
        for r in result.runs
    )
    table = Table(("features", "κ", "max lr 2/λmax", "iterations", "final MSE", "limit checked"), rows, title=f"Optimum MSE {result.runs[0].optimum_loss:.2f} years²")
    alt = ("Loss contours with gradient-descent paths for raw and standardized features, and excess loss per "
           "iteration for raw, min-max and standardized features")
    return Reply(text=clip(result.summary, MAX_REPLY_CHARS), title="Feature scaling and gradient descent",
                 images=(Image("feature-scaling.png", render_feature_scaling(result), alt),),
                 tables=(table,), data=result.to_dict())


@command("demo logistic", "Logistic regression: coefficients as odds ratios, the sigmoid fit and log loss",
         Option("dataset", "A bundled data set (or attach a CSV instead)", choices=DATASETS,
                default=DEFAULT_DATASET, excludes=("file",)),
         Option("file", f"Your CSV (≤ {MAX_CSV_BYTES // (1024 * 1024)} MB, header row, numeric features)",
                type=Attachment, max_bytes=MAX_CSV_BYTES, file_kind="a CSV file", cli="--csv"),
         Option("target", "The CSV's two-class column to predict", max_length=MAX_TARGET_NAME_CHARS),
         example="/demo logistic dataset:breast_cancer", heavy=True, cli="demo logistic")
def logistic(services: Services, dataset: str = DEFAULT_DATASET, file: Attachment | None = None,
             target: str | None = None) -> Reply:
    from tools.charts.logistic import render_logistic  # heavy (matplotlib): in the worker

    if file is not None:
        if len(file.data) > MAX_CSV_BYTES:
            raise UserInputError(f"the CSV is {len(file.data) / 1024 / 1024:.1f} MB; the limit is "
                                 f"{MAX_CSV_BYTES // (1024 * 1024)} MB")
        if not target or not target.strip():
            raise UserInputError("a CSV needs target: the name of its two-class column, e.g. target:diagnosis")
        result = run_logistic(csv_data=file.data, csv_name=file.filename, target=target)
    else:
        result = run_logistic(dataset=dataset, target=target)
    rows = tuple(
        (c.feature[:40], _coefficient(c.coef), _coefficient(c.odds_ratio), f"{c.std_coef:+.3f}",
         _coefficient(c.std_odds_ratio))
        for c in result.coefficients[:TABLE_TOP_FEATURES]
    )
    table = Table(("feature", "β per unit", "odds ratio per unit", "β per SD", "odds ratio per SD"), rows,
                  title=f"Top {len(rows)} of {len(result.coefficients)} features by |β per SD| "
                        f"(odds of {result.outcome})")
    alt = (f"Fitted sigmoid of P({result.outcome}) against the linear score with the data points, and "
           "each example's log loss")
    return Reply(text=clip(result.summary, MAX_REPLY_CHARS), title=f"Logistic regression: {result.dataset}",
                 images=(Image("logistic.png", render_logistic(result), alt),),
                 tables=(table,), data=result.to_dict())
