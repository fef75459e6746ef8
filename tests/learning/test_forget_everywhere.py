"""/forget-me on Discord leaves nothing about the user in any table of any database: the test
reads every table that exists (from sqlite_master, so a table added later is covered too)."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from bot.commands.knowledge_cmds import log_gap
from bot.commands.learning_cmds import FORMER_MEMBER
from bot.commands.registry import invoke, run_action
from bot.context import Caller, private_scope
from bot.frontends.discord_bot import TutorBot
from bot.services import Services
from knowledge.gaps import DIRECT_MESSAGES
from tests.discord_standin import DiscordStandIn
from tests.frontends.test_discord_e2e import make_settings

NAME = "Zelda Quux"


def leftovers(data_dir: Path, user_id: int, needle: str) -> list[str]:
    """Every cell of every table of every database in ``data_dir`` holding the user's id (or
    their private scope, -id) or their name."""
    found = []
    for path in sorted(data_dir.glob("*.db")):
        db = sqlite3.connect(path)
        try:
            tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
            assert tables, path
            for table in tables:
                cursor = db.execute(f'SELECT * FROM "{table}"')
                columns = [d[0] for d in cursor.description]
                for row in cursor:
                    for column, value in zip(columns, row):
                        if isinstance(value, int) and value in (user_id, -user_id) or (
                                isinstance(value, str) and needle in value.lower()):
                            found.append(f"{path.name}:{table}.{column}={value!r}")
        finally:
            db.close()
    return found


@pytest.fixture
def forget_services(services, tmp_path):
    settings = make_settings(tmp_path)
    svc = Services(settings)
    svc.__dict__["articles"] = services.articles
    svc.__dict__["kb"] = services.kb.with_notes(svc.notes)
    yield svc
    svc.close()


def test_forget_me_leaves_no_id_or_name_in_any_table(forget_services, tmp_path):
    svc = forget_services
    data_dir = svc.settings.data_dir

    async def main() -> None:
        async with DiscordStandIn() as standin:
            bot = TutorBot(svc.settings.model_copy(update={"dev_guild_id": standin.guild.id}), services=svc)
            async with standin.run_client(bot, timeout=60):
                student = standin.add_user("zelda_quux", global_name=NAME)
                other = standin.add_user("other")
                uid, oid, guild = student.id, other.id, standin.guild.id
                me = Caller(uid, guild, NAME)
                # everything the bot keeps about a student, in every store
                quiz = invoke("quiz", svc, {"topic": "relu", "count": 1}, me)
                run_action("quiz", quiz.actions[0].payload, svc, me)
                bot.store.save_answer("a1", "how do I zelda the gradients?", "…", False, [], [], uid, guild)
                bot.store.save_answer("b2", "what is relu?", "…", False, [], [], oid, guild)
                bot.store.vote("b2", uid, -1)
                bot.store.log_usage("ask", "ok", 1.0, uid, guild)
                bot.store.log_usage("ask", "ok", 1.0, oid, guild)
                svc.gaps.record(guild, "what is a quux layer?", 0.1, user_id=uid)
                svc.gaps.record(guild, "how do I zelda the gradients?", 0.2, "downvote", "a1", user_id=oid)
                svc.gaps.record(guild, "what is a capsule net?", 0.1, user_id=oid)
                log_gap(svc, private_scope(uid), "a question in a direct message", 0.1, user_id=uid)
                mine = svc.notes.add(guild, "Office hours", "Office hours are on Thursday at 5pm in room B12.",
                                     None, uid, NAME)
                svc.notes.add(guild, "Exam", "The exam is on June 3rd in the main hall.", None, oid, "other")
                svc.notes.add(private_scope(uid), "my own note", "Remember to revise batch norm.", None, uid, NAME)
                svc.conversations.record(7, "why relu, zelda asks", "because…", uid)
                svc.conversations.record(7, "and for tanh?", "it saturates…", oid)
                with sqlite3.connect(svc.settings.notes_db_path) as db:  # a DM gap is never filed under the user
                    assert db.execute("SELECT guild_id FROM gaps WHERE question LIKE 'a question in a direct%'"
                                      ).fetchone() == (DIRECT_MESSAGES,)
                assert leftovers(data_dir, uid, "zelda")  # the scan sees them before…

                handle = await standin.send_slash_command("forget-me", {"confirm": True}, user=student)
                done = await handle.wait_for_final(timeout=30, predicate=lambda m: not m.loading)
                text = done.content or done.embed["description"]
                assert done.ephemeral and "Done" in text and FORMER_MEMBER in text

                assert leftovers(data_dir, uid, "zelda") == []  # …and nothing after
                # what belongs to others stays, and the server keeps the note, shown without a name
                note = svc.notes.get(guild, mine.id)
                assert note is not None and note.author_id is None and note.author_name == FORMER_MEMBER
                hits = svc.kb.search("when are office hours on thursday?", k=3, guild_id=guild)
                assert any(h.chunk.title.endswith(f"(by {FORMER_MEMBER})") for h in hits.hits)
                assert [n.title for n in svc.notes.notes_of(guild)] == ["Office hours", "Exam"]
                assert svc.notes.notes_of(private_scope(uid)) == []
                assert not svc.notes.index_path(private_scope(uid)).exists()
                assert [g.example for g in svc.gaps.groups(guild)] == ["what is a capsule net?"]
                assert [t.question for t in svc.conversations.history(7)] == ["and for tanh?"]
                assert bot.store.get_answer("b2") is not None and bot.store.votes("b2") == (0, 0)
                assert bot.store.stats()["users"] == 1

    asyncio.run(asyncio.wait_for(main(), 180))
