"""``tutor demo confusion-matrix`` and ``tutor demo pr-curve``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from bot.frontends.cli_demo import demo_app, run_demo
from tools.errors import UserInputError
from tools.pr_curve import MAX_SEED

JsonFlag = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]
OutPath = Annotated[Optional[Path], typer.Option("--out", help="Save the PNG to this path (.png).")]


def check_out(out: Path | None) -> Path | None:
    """``--out`` must name a .png file (not a directory)."""
    if out is not None and (out.is_dir() or out.suffix.lower() != ".png"):
        raise UserInputError(f"--out {str(out)[:60]!r} is not a PNG file path; expected e.g. --out plot.png")
    return out


@demo_app.command("confusion-matrix")
def confusion_matrix(
    matrix: Annotated[str, typer.Argument(
        help='Counts with rows = actual class and columns = predicted class, e.g. "[[50,10],[5,35]]", '
             '"50 10; 5 35" or CSV rows on separate lines.')],
    labels: Annotated[Optional[str], typer.Option(
        "--labels", help="Class names in matrix order (row/column order), comma-separated, e.g. cat,dog.")] = None,
    positive: Annotated[Optional[str], typer.Option(
        "--positive", help="Label of the class to treat as positive: the summary focuses on it (binary view).")] = None,
    as_json: JsonFlag = False,
    out: OutPath = None,
) -> None:
    """Per-class precision, recall, F1, specificity from a confusion matrix (rows = actual).

    Also accuracy and macro/weighted averages, with a heatmap PNG. Rows are the ACTUAL classes
    and columns the PREDICTED classes (scikit-learn's convention).
    """
    run_demo("metrics confusion-matrix", {"matrix": matrix, "labels": labels, "positive": positive},
             as_json, check_out(out))


@demo_app.command("pr-curve")
def pr_curve(
    scenario: Annotated[str, typer.Option(
        "--scenario", help="spam (high precision), cancer (high recall, real breast-cancer data) or fraud.")] = "spam",
    seed: Annotated[int, typer.Option("--seed", help=f"Random seed for data and split (0-{MAX_SEED}).")] = 0,
    as_json: JsonFlag = False,
    out: OutPath = None,
) -> None:
    """Precision-recall trade-off of a real classifier, and the threshold each use case picks.

    A logistic regression is scored on held-out data; the plot marks the threshold a spam filter
    (precision first) and a screening test (recall first) would choose.
    """
    run_demo("metrics pr-curve", {"scenario": scenario, "seed": seed}, as_json, check_out(out))
