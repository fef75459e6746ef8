"""The platform-neutral command layer: one module per command family, each registering its
commands in :data:`REGISTRY` on import. Importing this package imports them all."""

import importlib
import pkgutil

from bot.commands.registry import REGISTRY, Attachment, CommandSpec, Option, invoke, resolve

for _module in sorted(m.name for m in pkgutil.iter_modules(__path__)):
    if _module != "registry" and not _module.startswith("_"):
        importlib.import_module(f"{__name__}.{_module}")

__all__ = ["REGISTRY", "Attachment", "CommandSpec", "Option", "invoke", "resolve"]
