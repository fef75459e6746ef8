"""/metrics confusion-matrix and /metrics pr-curve: classification metrics, computed for real."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.commands.registry import Option, command
from bot.reply import Image, Reply, Table
from tools.demo_inputs import PR_SCENARIOS as SCENARIOS
from tools.demo_inputs import SEED_MAX as MAX_SEED
from tools.matrix_parser import MAX_LABEL_CHARS, MAX_LABELS_CHARS

if TYPE_CHECKING:
    from tools.confusion_matrix import ConfusionMatrixResult

MAX_TABLE_ROWS = 12
MAX_NOTES_SHOWN = 3


def _f(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.3f}"


def _metrics_table(result: ConfusionMatrixResult) -> Table:
    per_class = list(result.per_class)
    title = "Per class (rows = actual, columns = predicted)"
    room = MAX_TABLE_ROWS - 2  # keep two rows for the averages
    if len(per_class) > room:
        worst = sorted(per_class, key=lambda m: (m.f1 is not None, m.f1 or 0.0))[:room]
        keep = {m.label for m in worst}
        per_class = [m for m in per_class if m.label in keep]
        title = f"The {room} classes with the lowest F1 (all {len(result.per_class)} in --json)"
    rows = [(m.label, _f(m.precision), _f(m.recall), _f(m.f1), _f(m.specificity), f"{m.support:,}")
            for m in per_class]
    for name, avg in (("macro avg", result.macro), ("weighted avg", result.weighted)):
        rows.append((name, _f(avg["precision"]), _f(avg["recall"]), _f(avg["f1"]), _f(avg.get("specificity")),
                     f"{result.total:,}"))
    return Table(("class", "precision", "recall", "F1", "specificity", "support"), tuple(rows), title)


@command("metrics confusion-matrix",
         "Precision, recall, F1, specificity per class from a confusion matrix (rows = actual, columns = predicted)",
         Option("matrix", 'Counts, rows = actual class, columns = predicted: "[[50,10],[5,35]]" or "50 10; 5 35"',
                required=True, rest_of_line=True, cli="MATRIX"),
         Option("labels", "Class names in matrix order, comma-separated, e.g. cat,dog", max_length=MAX_LABELS_CHARS),
         Option("positive", "Class to treat as positive (binary view of one class)", max_length=MAX_LABEL_CHARS),
         example="/metrics confusion-matrix matrix:[[50,10],[5,35]] labels:cat,dog positive:dog", heavy=True,
         cli="demo confusion-matrix")
def confusion_matrix(services, matrix: str, labels: str | None = None, positive: str | None = None) -> Reply:
    from tools.charts.confusion_matrix import render_confusion_matrix  # heavy (torch, matplotlib): imported where the demo runs, in a worker
    from tools.confusion_matrix import run_confusion_matrix

    result = run_confusion_matrix(matrix, labels=labels, positive=positive)
    text = result.summary
    if result.notes:
        shown = [f"• {n}" for n in result.notes[:MAX_NOTES_SHOWN]]
        if len(result.notes) > MAX_NOTES_SHOWN:
            shown.append(f"• … {len(result.notes) - MAX_NOTES_SHOWN} more notes in the JSON output")
        text += "\n\n**Undefined metrics**\n" + "\n".join(shown)
    n = len(result.labels)
    alt = (f"Heatmaps of a {n}x{n} confusion matrix: counts and row-normalized rates, "
           f"accuracy {result.accuracy:.1%}")
    return Reply(text=text, title="Confusion matrix metrics",
                 images=(Image("confusion-matrix.png", render_confusion_matrix(result), alt),),
                 tables=(_metrics_table(result),), data=result.to_dict())


@command("metrics pr-curve",
         "Precision–recall trade-off of a real classifier, and the threshold spam filters vs screening tests pick",
         Option("scenario", "Use case: spam (high precision), cancer or fraud (high recall)", choices=SCENARIOS,
                default="spam"),
         Option("seed", f"Random seed for the data split (0-{MAX_SEED:,})", type=int, default=0, min_value=0,
                max_value=MAX_SEED),
         example="/metrics pr-curve scenario:cancer", heavy=True, cli="demo pr-curve")
def pr_curve(services, scenario: str = "spam", seed: int = 0) -> Reply:
    from tools.charts.pr_curve import render_pr_curve  # heavy (torch, matplotlib): imported where the demo runs, in a worker
    from tools.pr_curve import run_pr_curve

    result = run_pr_curve(scenario=scenario, seed=seed)
    rows = []
    for p in result.operating_points:
        mark = " ← chosen" if p.name == result.chosen else ""
        rows.append((p.name + mark, f"{p.threshold:.3g}", _f(p.precision), f"{p.recall:.3f}", f"{p.tp:,}",
                     f"{p.fp:,}", f"{p.fn:,}"))
    table = Table(("operating point", "threshold", "precision", "recall", "TP", "FP", "FN"), tuple(rows),
                  f"{result.title}: held-out split of {result.n_test:,} ({result.n_positive_test:,} positive)")
    alt = (f"Precision-recall curve (AP {result.average_precision:.2f}) and precision/recall vs threshold for the "
           f"{result.scenario} scenario with the high-precision and high-recall thresholds marked")
    return Reply(text=result.summary, title=f"Precision–recall trade-off: {result.title.lower()}",
                 images=(Image(f"pr-curve-{result.scenario}.png", render_pr_curve(result), alt),),
                 tables=(table,), data=result.to_dict())
