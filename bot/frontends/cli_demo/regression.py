"""``tutor demo feature-scaling`` and ``tutor demo logistic``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from bot.commands.registry import Attachment
from bot.frontends.cli_demo import demo_app, run_demo
from bot.frontends.local_files import read_local_attachment
from tools.csv_loader import MAX_CSV_BYTES
from tools.errors import UserInputError
from tools.logistic import DATASETS

JsonFlag = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]
OutPng = Annotated[Optional[Path], typer.Option("--out", help="Save the chart to this PNG path.")]


@demo_app.command("feature-scaling")
def feature_scaling(as_json: JsonFlag = False, out: OutPng = None) -> None:
    """Gradient descent on raw vs standardized features: contours, condition number, iterations."""
    run_demo("demo feature-scaling", {}, as_json, out)


def read_csv_file(path: Path) -> Attachment:
    """Read a user's CSV for the command, enforcing the size limit before reading."""
    return read_local_attachment(path, MAX_CSV_BYTES, kind="a CSV file", content_type="text/csv")


@demo_app.command("logistic")
def logistic(
    dataset: Annotated[Optional[str], typer.Option("--dataset", help=f"{' | '.join(DATASETS)} (default "
                                                   "breast_cancer).")] = None,
    csv: Annotated[Optional[Path], typer.Option("--csv", help="Your CSV file (≤ 5 MB) instead of a bundled set.")]
    = None,
    target: Annotated[Optional[str], typer.Option("--target", help="The CSV's two-class column.")] = None,
    as_json: JsonFlag = False,
    out: OutPng = None,
) -> None:
    """Logistic regression: odds ratios per unit and per SD, the sigmoid fit and log loss."""
    if csv is not None and dataset is not None:
        raise UserInputError("give --dataset or --csv, not both")
    if csv is None and target is not None:
        raise UserInputError("--target needs --csv PATH (the bundled datasets have their own targets)")
    if csv is not None and target is None:
        raise UserInputError("--csv needs --target COLUMN, the column with the two classes to predict")
    args: dict[str, object] = {"dataset": dataset, "target": target}
    if csv is not None:
        args["file"] = read_csv_file(csv)
    run_demo("demo logistic", args, as_json, out)
