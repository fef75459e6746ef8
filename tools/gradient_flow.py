"""Gradient flow through a deep MLP: the per-layer gradient norm after one backward pass.

Builds ``depth`` Linear layers of ``width`` units (activation, optionally BatchNorm, between
them), runs one forward/backward pass of a cross-entropy loss on a seeded synthetic batch and
reports ``‖∂loss/∂W‖`` (Frobenius norm) for every Linear weight, layer 1 being nearest the input.
A deep sigmoid net with default init shows vanishing gradients: layer 1 gets a gradient orders of
magnitude smaller than the last layer. ``compare`` adds the "roadmap" of fixes at the same size.

Computed in float64 so gradients as small as 1e-80 (sigmoid at depth 100) stay non-zero.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import torch
from torch import nn

from tools.activations import ACTIVATIONS, LABELS, LEAKY_RELU_SLOPE
from tools.demo_inputs import (
    FLOW_DEFAULT_ACTIVATION,
    FLOW_DEFAULT_DEPTH,
    FLOW_DEFAULT_INIT,
    FLOW_DEFAULT_WIDTH,
    FLOW_INITS,
    FLOW_MAX_DEPTH,
    FLOW_MAX_WIDTH,
    FLOW_MIN_DEPTH,
    FLOW_MIN_WIDTH,
    SEED_MAX,
)
from tools.errors import UserInputError

log = logging.getLogger(__name__)

MIN_DEPTH, MAX_DEPTH = FLOW_MIN_DEPTH, FLOW_MAX_DEPTH
MIN_WIDTH, MAX_WIDTH = FLOW_MIN_WIDTH, FLOW_MAX_WIDTH
MAX_WEIGHTS = 2**24
"""Bound on depth × width² (≈ weights): keeps one pass under ~1 s and ~0.3 GB in float64."""
MAX_SEED = SEED_MAX
BATCH_SIZE = 128
NUM_CLASSES = 10
DEFAULT_DEPTH, DEFAULT_WIDTH = FLOW_DEFAULT_DEPTH, FLOW_DEFAULT_WIDTH
DEFAULT_ACTIVATION, DEFAULT_INIT, INITS = FLOW_DEFAULT_ACTIVATION, FLOW_DEFAULT_INIT, FLOW_INITS
VANISHING_RATIO = 0.1
EXPLODING_RATIO = 10.0
DTYPE = torch.float64

INIT_LABELS = {"default": "default init", "xavier": "Xavier init", "kaiming": "Kaiming init"}


@dataclass(frozen=True)
class FlowConfig:
    depth: int = DEFAULT_DEPTH
    width: int = DEFAULT_WIDTH
    activation: str = DEFAULT_ACTIVATION
    batchnorm: bool = False
    init: str = DEFAULT_INIT
    seed: int = 0

    def label(self) -> str:
        parts = [LABELS[self.activation]]
        if self.batchnorm:
            parts.append("BatchNorm")
        parts.append(INIT_LABELS[self.init])
        return ", ".join(parts)


@dataclass(frozen=True)
class FlowRun:
    """One configuration's gradient norms (index 0 = layer 1, nearest the input)."""

    config: FlowConfig
    grad_norms: tuple[float, ...]
    first_over_last: float | None  # None when the last layer's gradient is exactly zero

    @property
    def label(self) -> str:
        return self.config.label()

    def layers_dict(self) -> list[dict[str, object]]:
        return [{"layer": i, "grad_norm": g} for i, g in enumerate(self.grad_norms, 1)]


@dataclass(frozen=True)
class GradientFlowResult:
    main: FlowRun
    compare: tuple[FlowRun, ...]  # empty unless compare=True
    summary: str

    def to_dict(self) -> dict[str, object]:
        data: dict[str, object] = {
            "layers": self.main.layers_dict(),
            "first_over_last": self.main.first_over_last,
            "summary": self.summary,
        }
        if self.compare:
            data["compare"] = [
                {"label": r.label, "layers": r.layers_dict(), "first_over_last": r.first_over_last}
                for r in self.compare
            ]
        return data


def _whole_number(value: object, name: str, lo: int, hi: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise UserInputError(f"{name} must be a whole number from {lo} to {hi} (got {value!r})")
    return value


def validate_config(depth: object = DEFAULT_DEPTH, width: object = DEFAULT_WIDTH,
                    activation: object = DEFAULT_ACTIVATION, batchnorm: object = False,
                    init: object = DEFAULT_INIT, seed: object = 0) -> FlowConfig:
    """Check every input; :class:`UserInputError` names the problem and the accepted form."""
    depth = _whole_number(depth, "depth", MIN_DEPTH, MAX_DEPTH)
    width = _whole_number(width, "width", MIN_WIDTH, MAX_WIDTH)
    seed = _whole_number(seed, "seed", 0, MAX_SEED)
    if activation not in ACTIVATIONS:
        raise UserInputError(f"activation must be one of {' | '.join(ACTIVATIONS)} (got {str(activation)[:40]!r})")
    if init not in INITS:
        raise UserInputError(f"init must be one of {' | '.join(INITS)} (got {str(init)[:40]!r})")
    if not isinstance(batchnorm, bool):
        raise UserInputError(f"batchnorm must be true or false (got {str(batchnorm)[:40]!r})")
    if depth * width * width > MAX_WEIGHTS:
        raise UserInputError(
            f"depth × width² must be at most {MAX_WEIGHTS:,} (e.g. depth 16 at width 1024, depth 64 at width 512); "
            f"got {depth} × {width}² = {depth * width * width:,}"
        )
    return FlowConfig(depth, width, str(activation), batchnorm, str(init), seed)


def _init_linear(layer: nn.Linear, init: str, activation: str) -> None:
    if init == "default":
        return  # torch's own: U(±1/√fan_in) for weights and biases
    if init == "xavier":
        nn.init.xavier_normal_(layer.weight)  # Glorot: std = √(2 / (fan_in + fan_out))
    else:  # He: std = √2 / √fan_in (leaky ReLU: √(2 / (1 + slope²)) / √fan_in)
        if activation == "leaky-relu":
            nn.init.kaiming_normal_(layer.weight, a=LEAKY_RELU_SLOPE, nonlinearity="leaky_relu")
        else:
            nn.init.kaiming_normal_(layer.weight, nonlinearity="relu")
    nn.init.zeros_(layer.bias)


def build_mlp(config: FlowConfig) -> nn.Sequential:
    """``depth`` Linear layers: width→width (+ BatchNorm) + activation, …, then width→10.

    Weights are drawn from a private RNG seeded with ``config.seed`` (global RNG untouched).
    """
    modules: list[nn.Module] = []
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(config.seed)
        for i in range(config.depth):
            last = i == config.depth - 1
            linear = nn.Linear(config.width, NUM_CLASSES if last else config.width, dtype=DTYPE)
            _init_linear(linear, config.init, config.activation)
            modules.append(linear)
            if not last:
                if config.batchnorm:
                    modules.append(nn.BatchNorm1d(config.width, dtype=DTYPE))
                modules.append(ACTIVATIONS[config.activation]())
    return nn.Sequential(*modules).train()


def make_batch(config: FlowConfig) -> tuple[torch.Tensor, torch.Tensor]:
    """Seeded synthetic batch: standard-normal inputs and uniformly random class labels."""
    gen = torch.Generator().manual_seed(config.seed + 1)
    x = torch.randn(BATCH_SIZE, config.width, generator=gen, dtype=DTYPE)
    y = torch.randint(0, NUM_CLASSES, (BATCH_SIZE,), generator=gen)
    return x, y


def linear_layers(model: nn.Module) -> list[nn.Linear]:
    return [m for m in model.modules() if isinstance(m, nn.Linear)]


def measure(config: FlowConfig) -> FlowRun:
    """One forward/backward pass; gradient norm of every Linear weight."""
    model = build_mlp(config)
    x, y = make_batch(config)
    loss = nn.functional.cross_entropy(model(x), y)
    loss.backward()
    norms = tuple(float(layer.weight.grad.norm()) for layer in linear_layers(model))
    ratio = norms[0] / norms[-1] if norms[-1] > 0 else None
    log.debug("gradient flow %s: first/last=%s", config, ratio)
    return FlowRun(config, norms, ratio)


def roadmap_configs(config: FlowConfig) -> list[FlowConfig]:
    """The story at the user's size: sigmoid vanishes → tanh+Xavier → sigmoid+BN → ReLU+Kaiming."""
    base = dict(depth=config.depth, width=config.width, seed=config.seed)
    road = [
        FlowConfig(activation="sigmoid", init="default", **base),
        FlowConfig(activation="tanh", init="xavier", **base),
        FlowConfig(activation="sigmoid", batchnorm=True, init="default", **base),
        FlowConfig(activation="relu", init="kaiming", **base),
    ]
    if config not in road:
        road.append(config)
    return road


def _fmt_ratio(r: float | None) -> str:
    return "undefined (last layer got no gradient)" if r is None else f"{r:.2g}"


def _verdict(run: FlowRun) -> str:
    depth, r = run.config.depth, run.first_over_last
    if depth == 1:
        return "With a single layer there is nothing for the gradient to pass through, so nothing can vanish."
    if r is None:
        return "The last layer received no gradient at all (every unit feeding it is dead), so nothing learns."
    if r == 0:
        return "Layer 1 received no gradient at all: the signal died on the way back (dead units or saturation)."
    per_layer = r ** (1 / (depth - 1))
    if r < VANISHING_RATIO:
        return (f"That is a vanishing gradient: each layer scales it by about ×{per_layer:.2g} on the way back, "
                f"so the early layers barely learn.")
    if r > EXPLODING_RATIO:
        return (f"That is an exploding gradient: each layer scales it by about ×{per_layer:.3g} on the way back, "
                f"so updates to the early layers are too large.")
    lo, hi = min(run.grad_norms), max(run.grad_norms)
    spread = hi / lo if lo > 0 else math.inf
    return f"Healthy flow: gradient norms stay within a factor of {spread:.2g} across all {depth} layers."


def _summary(main: FlowRun, compare: tuple[FlowRun, ...]) -> str:
    c = main.config
    g = main.grad_norms
    if c.depth == 1:
        text = f"1-layer model (a single Linear layer, width {c.width} in): its gradient norm is {g[0]:.2e}. "
    else:
        text = (f"{c.depth}-layer MLP, width {c.width}, {main.label}: the gradient norm at layer 1 is {g[0]:.2e} "
                f"vs {g[-1]:.2e} at layer {c.depth} (first/last = {_fmt_ratio(main.first_over_last)}). ")
    text += _verdict(main)
    if compare:
        text += " Same size, other set-ups: " + "; ".join(
            f"{r.label} → {_fmt_ratio(r.first_over_last)}" for r in compare if r.config != c) + "."
    elif c.depth > 1 and main.first_over_last is not None and main.first_over_last < VANISHING_RATIO:
        text += " Try ReLU with Kaiming init, or add BatchNorm (compare shows them side by side)."
    return text


def run_gradient_flow(depth: int = DEFAULT_DEPTH, width: int = DEFAULT_WIDTH, activation: str = DEFAULT_ACTIVATION,
                      batchnorm: bool = False, init: str = DEFAULT_INIT, seed: int = 0,
                      compare: bool = False) -> GradientFlowResult:
    config = validate_config(depth, width, activation, batchnorm, init, seed)
    if not isinstance(compare, bool):
        raise UserInputError(f"compare must be true or false (got {str(compare)[:40]!r})")
    main = measure(config)
    runs = tuple(main if cfg == config else measure(cfg) for cfg in roadmap_configs(config)) if compare else ()
    return GradientFlowResult(main=main, compare=runs, summary=_summary(main, runs))
