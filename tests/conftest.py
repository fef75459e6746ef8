"""Shared fixtures. The whole suite uses a private data dir (index, outputs) under pytest's tmp."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

_SESSION_DIR = Path(tempfile.mkdtemp(prefix="tutor-tests-"))
os.environ["TUTOR_DATA_DIR"] = str(_SESSION_DIR / "var")
os.environ["TUTOR_OUTPUT_DIR"] = str(_SESSION_DIR / "out")
os.environ.pop("DISCORD_TOKEN", None)
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from bot.commands import load_commands  # noqa: E402

load_commands()  # tests look commands up in REGISTRY directly


@pytest.fixture(scope="session")
def services():
    """Services over the real articles, index built once for the session."""
    from bot.services import Services
    from bot.settings import Settings

    svc = Services(Settings())
    svc.warm_up()
    return svc


@pytest.fixture(scope="session")
def kb(services):
    return services.kb


@pytest.fixture(scope="session")
def embedder():
    from knowledge.embedder import get_embedder

    return get_embedder()
