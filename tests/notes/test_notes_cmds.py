"""Server notes through the command layer: add → cited at once, remove → gone at once, per-guild
isolation, permissions and validation."""

from __future__ import annotations

import pytest

from bot.commands.registry import invoke
from bot.context import Attachment, Caller
from knowledge.notes import NoteChunk
from tests.notes.conftest import ADMIN, OTHER_GUILD, STUDENT
from tools.errors import NotAllowed, UserInputError

NOTE = ("Office hours for the machine learning course are every Thursday at 5pm in room B12. "
        "Bring your notebook and your questions about the homework.")
QUESTION = "when are the office hours for the course?"


def ask(svc, caller, question=QUESTION):
    return invoke("ask", svc, {"question": question}, caller)


def note_hits(svc, guild_id, query=QUESTION):
    return [h for h in svc.kb.search(query, k=5, guild_id=guild_id).hits if isinstance(h.chunk, NoteChunk)]


def test_add_is_searchable_and_cited_at_once_then_remove_is_gone_at_once(note_services):
    svc = note_services
    before = ask(svc, STUDENT)
    assert before.data["abstained"]
    added = invoke("kb add", svc, {"title": "Office hours", "text": NOTE}, ADMIN)
    assert added.ephemeral and added.data["id"] > 0 and added.data["author"] == "Ada"

    reply = ask(svc, STUDENT)
    assert not reply.data["abstained"], reply.text
    assert "Thursday at 5pm" in reply.text and "[1]" in reply.text
    assert reply.data["sources"][0] == {"topic": "server-note", "title": "Server note: Office hours (by Ada)",
                                        "section": ""}
    assert note_hits(svc, ADMIN.guild_id)[0].chunk.note_id == added.data["id"]
    # a note answers what it says, whatever the off-topic classifier thinks of the wording…
    assert not ask(svc, STUDENT, "when are the office hours? @everyone").data["abstained"]
    # …and nothing else: an off-topic question in the same server is still refused
    assert ask(svc, STUDENT, "what batch size should I order for my bakery?").data["abstained"]
    listed = invoke("kb list", svc, {}, STUDENT)
    assert [n["id"] for n in listed.data] == [added.data["id"]]

    invoke("kb remove", svc, {"id": added.data["id"]}, ADMIN)
    assert note_hits(svc, ADMIN.guild_id) == []
    assert ask(svc, STUDENT).data["abstained"]
    assert svc.notes.drift(ADMIN.guild_id) == (set(), set())


def test_file_note_with_topic_and_article_answers_unchanged(note_services):
    svc = note_services
    md = b"# Dying ReLU in our homework\n\nIn homework 3 the dying ReLU units are fixed by using LeakyReLU with slope 0.01 as the grader expects.\n"
    reply = invoke("kb add", svc, {"title": "Homework 3 ReLU", "file": Attachment("hw3.md", md), "topic": "relu"}, ADMIN)
    assert reply.data["topic"] == "relu"
    answer = ask(svc, STUDENT, "which slope does homework 3 expect for LeakyReLU?")
    assert not answer.data["abstained"]
    assert any(s["title"].startswith("Server note: Homework 3 ReLU") and s["topic"] == "relu"
               for s in answer.data["sources"])
    # a question about the articles is still answered from the articles
    article = ask(svc, STUDENT, "why does my 20-layer sigmoid net stop learning?")
    assert article.data["sources"][0]["topic"] == "vanishing-gradient"


def test_notes_are_per_guild(note_services):
    svc = note_services
    invoke("kb add", svc, {"title": "Office hours", "text": NOTE}, ADMIN)
    assert note_hits(svc, ADMIN.guild_id)
    assert note_hits(svc, OTHER_GUILD.guild_id) == []
    assert note_hits(svc, None) == []  # the local console/CLI "server" is another guild too
    other = ask(svc, OTHER_GUILD)
    assert other.data["abstained"] and not any("Server note" in s["title"] for s in other.data["sources"])
    assert invoke("kb list", svc, {}, OTHER_GUILD).data == []
    with pytest.raises(UserInputError, match="no note"):
        invoke("kb remove", svc, {"id": 1}, OTHER_GUILD)  # another server's note cannot be removed
    assert invoke("kb list", svc, {}, ADMIN).data


def test_local_caller_notes_are_searchable_without_a_guild(note_services):
    svc = note_services
    invoke("kb add", svc, {"title": "Office hours", "text": NOTE}, Caller.local())
    reply = invoke("ask", svc, {"question": QUESTION})  # the CLI path: no caller → local
    assert not reply.data["abstained"] and reply.data["sources"][0]["title"].startswith("Server note: Office hours")
    assert note_hits(svc, ADMIN.guild_id) == []


@pytest.mark.parametrize("command, args", [
    ("kb add", {"title": "x", "text": NOTE}),
    ("kb remove", {"id": 1}),
    ("kb export", {}),
    ("gaps", {}),
    ("gaps resolve", {"group": 1}),
])
def test_non_trusted_members_are_refused_clearly(note_services, command, args):
    with pytest.raises(NotAllowed, match="only server admins \\(Manage Server\\) or the trusted role"):
        invoke(command, note_services, args, STUDENT)
    assert note_services.notes.count(STUDENT.guild_id) == 0


@pytest.mark.parametrize("args, needle", [
    ({"title": "big", "text": "word " * 11_000}, "the limit is 50 KB"),
    ({"title": "big", "file": Attachment("big.md", b"a" * (50 * 1024 + 1))}, "the limit is 50 KB"),
    ({"title": "bin", "file": Attachment("model.bin", bytes(range(256)) * 4)}, "binary"),
    ({"title": "latin1", "file": Attachment("x.txt", "café".encode("latin-1"))}, "not UTF-8"),
    ({"title": "empty", "text": "   \n\n  "}, "give the note as text"),
    ({"title": "empty", "file": Attachment("empty.md", b"\n \n")}, "is empty"),
    ({"title": "   ", "text": NOTE}, "needs a title"),
    ({"title": "t" * 101, "text": NOTE}, "too long"),
    ({"title": "both", "text": NOTE, "file": Attachment("a.md", b"hello there")}, "not both"),
    ({"title": "topic", "text": NOTE, "topic": "quantum-chromodynamics"}, "unknown topic"),
])
def test_bad_notes_are_refused_with_one_line(note_services, args, needle):
    with pytest.raises(UserInputError) as err:
        invoke("kb add", note_services, args, ADMIN)
    assert needle in str(err.value) and "\n" not in str(err.value)
    assert note_services.notes.count(ADMIN.guild_id) == 0


def test_too_many_notes_is_refused(note_services, monkeypatch):
    import knowledge.notes as notes

    monkeypatch.setattr(notes, "MAX_NOTES_PER_GUILD", 2)
    for i in range(2):
        invoke("kb add", note_services, {"title": f"n{i}", "text": f"note number {i} about study groups"}, ADMIN)
    with pytest.raises(UserInputError, match="already has 2 notes"):
        invoke("kb add", note_services, {"title": "n3", "text": "one too many"}, ADMIN)
    invoke("kb add", note_services, {"title": "n3", "text": "another server is fine"}, OTHER_GUILD)


def test_export_has_every_note_with_its_text(note_services):
    import json

    invoke("kb add", note_services, {"title": "Office hours", "text": NOTE}, ADMIN)
    reply = invoke("kb export", note_services, {}, ADMIN)
    assert reply.data[0]["text"] == NOTE
    assert json.loads(reply.images[0].png)[0]["title"] == "Office hours"


def test_a_discord_dm_never_sees_the_local_notes(note_services):
    """DMs have no server id; they get a private scope, not the console/CLI's local notes."""
    from bot.frontends.discord_bot import notes_scope

    svc = note_services
    invoke("kb add", svc, {"title": "Office hours", "text": NOTE}, Caller.local())
    dm = Caller(STUDENT.user_id, notes_scope(None, STUDENT.user_id), "Student")
    assert dm.guild_id is not None and dm.guild_id != ADMIN.guild_id
    reply = ask(svc, dm)
    assert not any("Server note" in s["title"] for s in reply.data["sources"])
    assert note_hits(svc, dm.guild_id) == []
    assert notes_scope(123, 7) == 123
