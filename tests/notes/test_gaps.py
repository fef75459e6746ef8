"""The gap log: abstained questions are recorded and grouped by meaning (real embedder)."""

from __future__ import annotations

from bot.commands.registry import invoke
from tests.notes.conftest import ADMIN, OTHER_GUILD, STUDENT

OFFICE_HOURS = [
    "when are the office hours?",
    "what time are office hours held this week?",
    "at what time can I go to office hours",
    "office hours schedule please",
]
EXAM = [
    "when is the final exam?",
    "what is the date of the final examination",
    "on which day do we take the final exam?",
]
GPU = [
    "how do I get a free GPU for the homework?",
    "where can I get free GPU compute for assignments",
]


def test_paraphrases_group_together_largest_first(note_services):
    gaps = note_services.gaps
    for q in OFFICE_HOURS + EXAM + GPU:
        gaps.record(ADMIN.guild_id, q, 0.2)
    gaps.record(OTHER_GUILD.guild_id, "when are the office hours?", 0.2)
    groups = gaps.groups(ADMIN.guild_id)
    assert [g.count for g in groups] == [4, 3, 2]
    assert set(groups[0].questions) == set(OFFICE_HOURS)
    assert set(groups[1].questions) == set(EXAM)
    assert set(groups[2].questions) == set(GPU)
    assert groups[0].example in OFFICE_HOURS and groups[0].best_score == 0.2

    reply = invoke("gaps", note_services, {}, ADMIN)
    assert reply.ephemeral and "×4" in reply.text and [d["count"] for d in reply.data] == [4, 3, 2]
    invoke("gaps resolve", note_services, {"group": groups[1].id}, ADMIN)
    assert [g.count for g in gaps.groups(ADMIN.guild_id)] == [4, 2]
    assert [g.count for g in gaps.groups(OTHER_GUILD.guild_id)] == [1]  # per guild


def test_abstained_ask_is_logged_with_its_best_score(note_services):
    reply = invoke("ask", note_services, {"question": "when is the final exam of the course?"}, STUDENT)
    assert reply.data["abstained"]
    invoke("ask", note_services, {"question": "why does my 20-layer sigmoid net stop learning?"}, STUDENT)
    groups = note_services.gaps.groups(STUDENT.guild_id)
    assert len(groups) == 1 and groups[0].questions == ("when is the final exam of the course?",)
    assert groups[0].best_score is not None and 0 < groups[0].best_score < 0.5


def test_saving_an_answer_resolves_matching_groups(note_services):
    gaps = note_services.gaps
    for q in OFFICE_HOURS + GPU:
        gaps.record(ADMIN.guild_id, q, 0.2)
    resolved = gaps.resolve_matching(ADMIN.guild_id, "When are office hours?")
    assert [g.count for g in resolved] == [4]
    assert [g.count for g in gaps.groups(ADMIN.guild_id)] == [2]
