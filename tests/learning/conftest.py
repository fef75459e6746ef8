"""Fixtures for the learning-loop tests: a private data dir (learning.db) per test."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture()
def learning_services(tmp_path: Path):
    """Services whose data dir (and so learning.db) is private to the test; no index is loaded."""
    from bot.learning.store import close_stores
    from bot.services import Services
    from bot.settings import Settings

    services = Services(Settings(data_dir=tmp_path / "var", output_dir=tmp_path / "out"))
    yield services
    close_stores()
