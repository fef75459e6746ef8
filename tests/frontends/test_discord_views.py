"""Views done right, through the real TutorBot against the Discord stand-in: the pager pages only
its owner's reply (others get their own ephemeral copy), its buttons disappear on timeout, and a
failing button (a view's or a persistent one) answers with one short line and an error id."""

from __future__ import annotations

import logging
import re
from unittest.mock import create_autospec

import pytest

from bot.frontends import discord_views
from bot.frontends.discord_bot import TutorBot
from bot.runtime.storage import Store
from tests.discord_standin import DiscordStandIn
from tests.frontends.test_discord_e2e import make_settings, run

ERROR_ID = re.compile(r"error id `([0-9a-f]{8})`")


def test_someone_elses_click_on_a_pager_gets_their_own_copy_and_pages_it(services, tmp_path):
    async def scenario(standin: DiscordStandIn, bot: TutorBot) -> None:
        handle = await standin.send_slash_command("explain", {"topic": "relu"})
        mine = (await handle.wait_for_response(timeout=3)).embed
        assert "Page 1/" in mine["footer"]["text"]
        _, next_id = handle.original.custom_ids[:2]
        stranger = standin.add_user("stranger")
        click = await standin.send_component(next_id, handle.original.id, user=stranger)
        copy = await click.wait_for_response(timeout=5)
        assert copy.type == 4 and copy.ephemeral  # a new private message, not an edit of mine
        assert "Page 2/" in copy.embed["footer"]["text"]
        assert handle.original.embed["footer"]["text"] == mine["footer"]["text"]  # mine did not move
        assert handle.original.edits == 0

        their_previous, _ = click.original.custom_ids[:2]
        assert their_previous not in handle.original.custom_ids  # their own buttons
        back = await standin.send_component(their_previous, click.original.id, user=stranger)
        assert (await back.wait_for_response(timeout=5)).type == 7
        assert "Page 1/" in click.original.embed["footer"]["text"]

        own = await standin.send_component(next_id, handle.original.id)  # the owner still pages
        assert (await own.wait_for_response(timeout=5)).type == 7
        assert "Page 2/" in handle.original.embed["footer"]["text"]

    run(services, lambda s: make_settings(tmp_path), scenario)


def test_pager_buttons_are_removed_when_the_view_times_out(services, tmp_path, monkeypatch):
    monkeypatch.setattr(discord_views, "PAGER_TIMEOUT_S", 0.5)

    async def scenario(standin: DiscordStandIn, bot: TutorBot) -> None:
        handle = await standin.send_slash_command("explain", {"topic": "relu"})
        await handle.wait_for_response(timeout=3)
        message = handle.original
        assert len(message.custom_ids) == 3  # ◀ ▶ and the article's "Quiz me on this"
        await standin.wait_for(lambda: message.edits >= 1 and message.custom_ids == ["tutor:act:checkme:c:relu"],
                               timeout=10, what="the timed-out pager's buttons to be removed")
        assert "Page 1/" in message.embed["footer"]["text"]  # the page itself stays

    run(services, lambda s: make_settings(tmp_path), scenario)


def test_a_failing_pager_click_answers_with_one_line_and_a_logged_error_id(services, tmp_path, caplog):
    caplog.set_level(logging.ERROR, logger="bot.frontends.discord_errors")

    async def scenario(standin: DiscordStandIn, bot: TutorBot) -> None:
        handle = await standin.send_slash_command("explain", {"topic": "relu"})
        await handle.wait_for_response(timeout=3)
        _, next_id = handle.original.custom_ids[:2]
        # Discord refuses the page edit once (a 400 discord.py does not retry)
        standin.fail_next("POST", r"/interactions/\d+/[^/]+/callback$", 400,
                          {"message": "Invalid Form Body", "code": 50035})
        click = await standin.send_component(next_id, handle.original.id)
        answer = await click.wait_for_response(timeout=5)
        assert answer.ephemeral and "\n" not in answer.content
        error_id = ERROR_ID.search(answer.content).group(1)
        assert any(error_id in r.getMessage() and r.exc_info for r in caplog.records)
        assert "Page 1/" in handle.original.embed["footer"]["text"]

    run(services, lambda s: make_settings(tmp_path), scenario)


def test_a_failing_persistent_button_answers_with_an_error_id_not_interaction_failed(services, tmp_path, caplog):
    caplog.set_level(logging.ERROR, logger="bot.frontends.discord_errors")

    async def scenario(standin: DiscordStandIn, bot: TutorBot) -> None:
        handle = await standin.send_slash_command("ask", {"question": "what does batch norm do at inference?"})
        final = await handle.wait_for_final(timeout=15)
        passages = next(c for c in final.custom_ids if c.startswith("tutor:passages:"))
        broken = create_autospec(Store.get_answer, side_effect=RuntimeError("disk on fire"))
        bot.store.get_answer = lambda answer_id: broken(bot.store, answer_id)  # type: ignore[method-assign]
        click = await standin.send_component(passages, final.id)
        answer = await click.wait_for_response(timeout=5)
        assert answer.ephemeral and "disk on fire" not in answer.content
        error_id = ERROR_ID.search(answer.content).group(1)
        assert any(error_id in r.getMessage() and r.exc_info for r in caplog.records)
        broken.assert_called_once()

    run(services, lambda s: make_settings(tmp_path), scenario)


def test_a_view_timeout_must_leave_time_to_remove_its_buttons():
    with pytest.raises(ValueError, match="under 900 s"):
        discord_views.TutorView(timeout=900)
