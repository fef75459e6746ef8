"""What each demo accepts: its sizes, ranges, defaults and choices — and nothing heavy.

The command registry describes every demo's options (Discord's slash-command schema, the CLI's
flags, the help text) when the bot starts. Taking those values from the demo modules themselves
would import torch, scikit-learn and matplotlib into the bot's process, where no demo ever runs
(they run in the worker processes). So the limits live here, and the demo modules import them
from here: one definition each.
"""

from __future__ import annotations

SEED_MAX = 999_999  # every demo's random seed: 0..SEED_MAX

# --- /plot gradient-flow (tools/gradient_flow.py)
FLOW_MIN_DEPTH, FLOW_MAX_DEPTH, FLOW_DEFAULT_DEPTH = 1, 100, 10
FLOW_MIN_WIDTH, FLOW_MAX_WIDTH, FLOW_DEFAULT_WIDTH = 1, 1024, 64
FLOW_DEFAULT_ACTIVATION = "sigmoid"
FLOW_INITS = ("default", "xavier", "kaiming")
FLOW_DEFAULT_INIT = "default"

# --- /demo activations (tools/activations.py): names as users type them
ACTIVATION_NAMES = ("sigmoid", "tanh", "relu", "leaky-relu", "gelu")
ACTIVATION_GRID_MAX_X = 6.0  # the curves are drawn on [-6, 6]

# --- /demo batchnorm (tools/batchnorm_demo.py)
BN_MIN_STEPS, BN_MAX_STEPS, BN_DEFAULT_STEPS = 10, 1000, 300

# --- /demo focal-loss (tools/focal_loss.py)
FOCAL_MAX_GAMMAS = 8
FOCAL_MIN_GAMMA, FOCAL_MAX_GAMMA = 0.0, 10.0
FOCAL_MAX_GAMMA_TEXT_CHARS = 200
FOCAL_DEFAULT_GAMMAS_TEXT = "0,0.5,1,2,5"

# --- /metrics pr-curve (tools/pr_curve.py)
PR_SCENARIOS = ("spam", "cancer", "fraud")

# --- /demo embeddings (tools/embeddings.py)
EMBED_MAX_SENTENCE_CHARS = 300
EMBED_MIN_K, EMBED_MAX_K = 1, 50
EMBED_MAX_ANALOGY_CHARS = 130

# --- /demo image (tools/charts/image_ops.py): the title of each operation's picture
IMAGE_OP_TITLES = {
    "equalize": "Histogram equalisation", "clahe": "CLAHE (adaptive equalisation)",
    "edges": "Sobel edge detection", "blur": "Gaussian blur", "sharpen": "Unsharp-mask sharpening",
    "threshold": "Otsu threshold", "morphology": "Grey-scale opening", "augment": "Training augmentations",
}
