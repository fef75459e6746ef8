"""Training-dynamics demos: /plot gradient-flow, /demo activations, /demo batchnorm."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from bot.commands.registry import Option, command
from bot.reply import Image, Reply, Table
from tools import demo_inputs as limits

if TYPE_CHECKING:
    from bot.services import Services
    from tools.batchnorm_demo import TrainingRun
    from tools.gradient_flow import FlowRun

MAX_TABLE_ROWS = 12


def _ratio(r: float | None) -> str:
    return "n/a (last layer: 0)" if r is None else f"{r:.3g}"


def _layer_rows(run: FlowRun) -> tuple[tuple[str, ...], ...]:
    """All layers when they fit in a table, else 12 evenly spaced ones (always the first and last)."""
    depth = len(run.grad_norms)
    picks = np.unique(np.round(np.linspace(0, depth - 1, min(depth, MAX_TABLE_ROWS))).astype(int))
    return tuple((str(i + 1), f"{run.grad_norms[i]:.2e}") for i in picks)


@command(
    "plot gradient-flow",
    "Per-layer gradient norms of a deep MLP: see gradients vanish (or not)",
    Option("depth", "Number of Linear layers (1-100)", type=int, default=limits.FLOW_DEFAULT_DEPTH,
           min_value=limits.FLOW_MIN_DEPTH, max_value=limits.FLOW_MAX_DEPTH),
    Option("width", "Units per layer (1-1024)", type=int, default=limits.FLOW_DEFAULT_WIDTH,
           min_value=limits.FLOW_MIN_WIDTH, max_value=limits.FLOW_MAX_WIDTH),
    Option("activation", "Activation function", choices=limits.ACTIVATION_NAMES, default=limits.FLOW_DEFAULT_ACTIVATION),
    Option("batchnorm", "Add BatchNorm before every activation", type=bool, default=False),
    Option("init", "Weight initialisation", choices=limits.FLOW_INITS, default=limits.FLOW_DEFAULT_INIT),
    Option("seed", "Random seed (same seed, same numbers)", type=int, default=0, min_value=0, max_value=limits.SEED_MAX),
    Option("compare", "Overlay sigmoid / tanh+Xavier / sigmoid+BN / ReLU+Kaiming at this size", type=bool,
           default=False),
    example="/plot gradient-flow depth:20 activation:sigmoid compare:true",
    heavy=True,
    cli="demo gradient-flow",
)
def gradient_flow(services: Services, depth: int = limits.FLOW_DEFAULT_DEPTH, width: int = limits.FLOW_DEFAULT_WIDTH,
                  activation: str = limits.FLOW_DEFAULT_ACTIVATION, batchnorm: bool = False, init: str = limits.FLOW_DEFAULT_INIT,
                  seed: int = 0, compare: bool = False) -> Reply:
    from tools.charts.gradient_flow import render_gradient_flow  # heavy (torch, matplotlib): imported where the demo runs, in a worker
    from tools.gradient_flow import run_gradient_flow

    result = run_gradient_flow(depth=depth, width=width, activation=activation, batchnorm=batchnorm, init=init,
                               seed=seed, compare=compare)
    main = result.main
    tables = [Table(("layer", "grad norm"), _layer_rows(main),
                    title="Gradient norm per layer" + (" (selected layers)" if depth > MAX_TABLE_ROWS else ""))]
    if result.compare:
        tables.append(Table(("set-up", "first/last"), tuple((r.label, _ratio(r.first_over_last))
                                                            for r in result.compare), title="Compared"))
    alt = (f"Log-scale line chart of gradient norm per layer for a {depth}-layer {main.label} MLP"
           + (", with the roadmap set-ups overlaid" if compare else "")
           + f"; first/last = {_ratio(main.first_over_last)}.")
    return Reply(text=result.summary, title="Gradient flow",
                 images=(Image("gradient-flow.png", render_gradient_flow(result), alt),),
                 tables=tuple(tables), data=result.to_dict())


@command("demo activations", "Sigmoid, tanh, ReLU, leaky ReLU, GELU and their slopes (autograd)",
         example="/demo activations", heavy=True, cli="demo activations")
def activations(services: Services) -> Reply:
    from tools.activations import run_activations  # heavy (torch, matplotlib): imported where the demo runs, in a worker
    from tools.charts.activations import render_activations

    result = run_activations()
    rows = tuple((c.label, f"{c.max_derivative:.4g}", f"{c.argmax_x:g}", f"{c.min_derivative:.3g}")
                 for c in result.curves)
    return Reply(
        text=result.summary, title="Activation functions and their derivatives",
        images=(Image("activations.png", render_activations(result),
                      "Two panels: activation functions, and their derivatives with sigmoid's 0.25 maximum "
                      "and tanh's 1.0 maximum marked."),),
        tables=(Table(("activation", "max f'(x)", "at x", f"min f'(x) on ±{limits.ACTIVATION_GRID_MAX_X:g}"), rows),),
        data=result.to_dict(),
    )


def _bn_rows(plain: TrainingRun, with_bn: TrainingRun) -> tuple[tuple[str, ...], ...]:
    first_p, first_b = plain.layers[0], with_bn.layers[0]
    last_p, last_b = plain.layers[-1], with_bn.layers[-1]
    return (
        ("train loss before → after", f"{plain.initial_loss:.3g} → {plain.final_loss:.3g}",
         f"{with_bn.initial_loss:.3g} → {with_bn.final_loss:.3g}"),
        ("test accuracy", f"{plain.accuracy:.1%}", f"{with_bn.accuracy:.1%}"),
        ("test loss", f"{plain.test_loss:.3g}", f"{with_bn.test_loss:.3g}"),
        ("layer 1 pre-act std, start → end", f"{first_p.std_start:.2f} → {first_p.std_end:.2f}",
         f"{first_b.std_start:.2f} → {first_b.std_end:.2f}"),
        (f"layer {last_p.layer} pre-act std, start → end", f"{last_p.std_start:.2f} → {last_p.std_end:.2f}",
         f"{last_b.std_start:.2f} → {last_b.std_end:.2f}"),
        ("largest std drift (max/min)", f"×{plain.std_drift:.3g}", f"×{with_bn.std_drift:.3g}"),
    )


@command(
    "demo batchnorm",
    "Train a deep tanh net on digits with and without BatchNorm: loss and layer statistics",
    Option("steps", f"Training steps ({limits.BN_MIN_STEPS}-{limits.BN_MAX_STEPS})", type=int, default=limits.BN_DEFAULT_STEPS,
           min_value=limits.BN_MIN_STEPS, max_value=limits.BN_MAX_STEPS),
    Option("seed", "Random seed: init, data split, mini-batches", type=int, default=0, min_value=0,
           max_value=limits.SEED_MAX),
    example="/demo batchnorm steps:300",
    heavy=True,
    cli="demo batchnorm",
)
def batchnorm(services: Services, steps: int = limits.BN_DEFAULT_STEPS, seed: int = 0) -> Reply:
    from tools.batchnorm_demo import run_batchnorm_demo  # heavy (torch, matplotlib): imported where the demo runs, in a worker
    from tools.charts.batchnorm_demo import render_batchnorm_demo, render_batchnorm_layer_stats

    result = run_batchnorm_demo(steps=steps, seed=seed)
    images = (
        Image("batchnorm-loss.png", render_batchnorm_demo(result),
              f"Loss curves over {steps} steps, with and without BatchNorm, on a log scale."),
        Image("batchnorm-layers.png", render_batchnorm_layer_stats(result),
              "Per-layer pre-activation mean and std over training steps, without and with BatchNorm."),
    )
    return Reply(text=result.summary, title="Batch norm and internal covariate shift", images=images,
                 tables=(Table(("", "without BN", "with BN"), _bn_rows(result.without_bn, result.with_bn)),),
                 data=result.to_dict())
