"""Fixtures: a Services with its own data dir (notes.db, note indexes) over the session's index."""

from __future__ import annotations

import pytest

from bot.context import Caller


@pytest.fixture
def note_services(services, tmp_path):
    from bot.services import Services
    from bot.settings import Settings

    svc = Services(Settings(data_dir=tmp_path / "var"))
    svc.__dict__["articles"] = services.articles
    svc.__dict__["kb"] = services.kb.with_notes(svc.notes)  # same articles index, private notes
    yield svc
    svc.notes.close()
    svc.gaps.close()


ADMIN = Caller(user_id=11, guild_id=4242, display_name="Ada", is_trusted=True)
STUDENT = Caller(user_id=12, guild_id=4242, display_name="Bo")
OTHER_GUILD = Caller(user_id=13, guild_id=5151, display_name="Cy", is_trusted=True)
