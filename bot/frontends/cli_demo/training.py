"""``tutor demo gradient-flow | activations | batchnorm``: training-dynamics demos.

Numbers and choices are passed on as text and checked by the command registry, so a bad value
gets the same one-line ``error:`` (exit 2) as on Discord and the console.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from bot.frontends.cli_demo import demo_app, run_demo
from tools import batchnorm_demo as bn
from tools import gradient_flow as gf
from tools.activations import ACTIVATIONS

JsonFlag = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]
OutPng = Annotated[Optional[Path], typer.Option("--out", metavar="PNG", help="Save the (first) chart here.")]
Seed = Annotated[Optional[str], typer.Option(
    "--seed", metavar="S", help=f"Random seed, 0-{gf.MAX_SEED} (default 0); same seed, same numbers.")]


@demo_app.command("gradient-flow")
def gradient_flow(
    depth: Annotated[Optional[str], typer.Option(
        "--depth", metavar="N", help=f"Linear layers, {gf.MIN_DEPTH}-{gf.MAX_DEPTH} (default {gf.DEFAULT_DEPTH}).")]
    = None,
    width: Annotated[Optional[str], typer.Option(
        "--width", metavar="W", help=f"Units per layer, {gf.MIN_WIDTH}-{gf.MAX_WIDTH} (default {gf.DEFAULT_WIDTH}).")]
    = None,
    activation: Annotated[Optional[str], typer.Option(
        "--activation", metavar="NAME", help=f"{' | '.join(ACTIVATIONS)} (default {gf.DEFAULT_ACTIVATION}).")] = None,
    batchnorm: Annotated[bool, typer.Option("--batchnorm", help="BatchNorm before every activation.")] = False,
    init: Annotated[Optional[str], typer.Option(
        "--init", metavar="NAME", help="Weight init: default (torch's own) | xavier | kaiming.")] = None,
    seed: Seed = None,
    compare: Annotated[bool, typer.Option(
        "--compare", help="Overlay sigmoid / tanh+Xavier / sigmoid+BN / ReLU+Kaiming at this size.")] = False,
    as_json: JsonFlag = False,
    out: OutPng = None,
) -> None:
    """Per-layer gradient norms of a deep MLP after one backward pass (log scale)."""
    run_demo("plot gradient-flow", {"depth": depth, "width": width, "activation": activation, "batchnorm": batchnorm,
                                    "init": init, "seed": seed, "compare": compare}, as_json, out)


@demo_app.command("activations")
def activations(as_json: JsonFlag = False, out: OutPng = None) -> None:
    """Sigmoid, tanh, ReLU, leaky ReLU, GELU and their derivatives (autograd), maxima marked."""
    run_demo("demo activations", {}, as_json, out)


@demo_app.command("batchnorm")
def batchnorm(
    steps: Annotated[Optional[str], typer.Option(
        "--steps", metavar="N", help=f"Training steps, {bn.MIN_STEPS}-{bn.MAX_STEPS} (default {bn.DEFAULT_STEPS}).")]
    = None,
    seed: Seed = None,
    as_json: JsonFlag = False,
    out: OutPng = None,
) -> None:
    """Deep tanh net on digits with vs without BatchNorm: loss curves and per-layer statistics.

    --out names the loss-curve PNG; the per-layer statistics PNG goes to the output directory.
    """
    run_demo("demo batchnorm", {"steps": steps, "seed": seed}, as_json, out)
