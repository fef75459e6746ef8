"""Loss-function demos: /demo focal-loss."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.commands.registry import Option, command
from bot.reply import Image, Reply, Table
from tools.demo_inputs import FOCAL_DEFAULT_GAMMAS_TEXT as DEFAULT_GAMMAS_TEXT
from tools.demo_inputs import FOCAL_MAX_GAMMA as MAX_GAMMA
from tools.demo_inputs import FOCAL_MAX_GAMMA_TEXT_CHARS as MAX_GAMMA_TEXT_CHARS
from tools.demo_inputs import FOCAL_MAX_GAMMAS as MAX_GAMMAS
from tools.demo_inputs import SEED_MAX as MAX_SEED

if TYPE_CHECKING:
    from bot.services import Services


@command("demo focal-loss", "Focal loss vs cross-entropy: curves, a table and an imbalanced-data experiment",
         Option("gammas", f"Focusing parameters γ, comma or space separated (up to {MAX_GAMMAS}, each 0-{MAX_GAMMA:g})",
                default=DEFAULT_GAMMAS_TEXT, max_length=MAX_GAMMA_TEXT_CHARS, cli="--gamma"),
         Option("alpha", "Weight on positive examples, in (0, 1]; negatives get 1 - alpha (omit for none)",
                type=float, min_value=0.0, max_value=1.0),
         Option("seed", "Random seed for the data set and the model", type=int, default=0, min_value=0,
                max_value=MAX_SEED),
         example="/demo focal-loss gammas:0,1,2,5 alpha:0.25", heavy=True, cli="demo focal-loss")
def focal_loss(services: Services, gammas: str = DEFAULT_GAMMAS_TEXT, alpha: float | None = None,
               seed: int = 0) -> Reply:
    from tools.charts.focal_loss import render_focal_loss  # heavy (torch, matplotlib): imported where the demo runs, in a worker
    from tools.focal_loss import run_focal_loss

    result = run_focal_loss(gammas=gammas, alpha=alpha, seed=seed)
    g = result.highlight_gamma
    loss_table = Table(
        ("p_t", "BCE", f"focal γ={g:g}", "focal / BCE"),
        tuple((f"{r.p_t:g}", f"{r.bce:.4g}", f"{r.focal:.4g}", f"{r.focal / r.bce:.3g}" if r.bce > 0 else "–")
              for r in result.table),
        title="Loss of one example" + ("" if result.alpha is None else f" (positive, α = {result.alpha:g})"),
    )
    bce_run, focal_run = result.experiment.runs
    rows = (
        ("minority recall (test)", bce_run.recall, focal_run.recall),
        ("minority precision (test)", bce_run.precision, focal_run.precision),
        ("average precision (test)", bce_run.average_precision, focal_run.average_precision),
        ("easy examples (train)", bce_run.easy_fraction, focal_run.easy_fraction),
        ("easy examples' share of loss", bce_run.easy_loss_share, focal_run.easy_loss_share),
    )
    experiment_table = Table(
        ("metric", "BCE", f"focal γ={g:g}"),
        tuple((name, f"{a:.1%}", f"{b:.1%}") for name, a, b in rows),
        title=f"Same MLP, {result.experiment.positive_rate:.0%} positives, threshold 0.5",
    )
    alt = (f"Focal loss against p_t for gamma {', '.join(f'{x:g}' for x in result.gammas)}, and bars comparing "
           "BCE with focal loss on an imbalanced data set")
    return Reply(text=result.summary, title="Focal loss vs cross-entropy",
                 images=(Image("focal-loss.png", render_focal_loss(result), alt),),
                 tables=(loss_table, experiment_table), data=result.to_dict())
