"""The platform-neutral command layer: one module per command family, each registering its
commands in :data:`REGISTRY` when imported.

Modules are imported on demand (:func:`bot.commands.registry.load_commands`): answering a
question from the CLI should not pay for importing optuna, scikit-image and matplotlib.
"""

from bot.commands.registry import REGISTRY, CommandSpec, Option, invoke, load_commands, resolve

__all__ = ["REGISTRY", "CommandSpec", "Option", "invoke", "load_commands", "resolve"]
