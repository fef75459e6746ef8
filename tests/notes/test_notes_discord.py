"""Server notes and the gap log through the real TutorBot against the local Discord stand-in."""

from __future__ import annotations

import asyncio

from bot.frontends.discord_bot import TutorBot
from tests.discord_standin import DiscordStandIn
from tests.frontends.test_discord_e2e import MANAGE_GUILD, make_settings, run

NOTE = ("Office hours for the machine learning course are every Thursday at 5pm in room B12. "
        "Bring your notebook and your questions about the homework.")


def test_kb_add_then_ask_cites_the_note_and_members_are_refused(services, tmp_path):
    async def scenario(standin: DiscordStandIn, bot: TutorBot) -> None:
        student = standin.add_user("student")
        refused = await standin.send_slash_command("kb add", {"title": "Office hours", "text": NOTE},
                                                   user=student, permissions=0)
        cb = await refused.wait_for_response(timeout=3)
        assert cb.ephemeral and "only server admins (Manage Server) or the trusted role" in cb.content
        assert "Usage" not in cb.content

        admin = standin.add_user("ada", global_name="Ada")
        added = await standin.send_slash_command("kb add", {"title": "Office hours", "text": NOTE},
                                                 user=admin, permissions=MANAGE_GUILD)
        final = await added.wait_for_final(timeout=20)
        assert final.ephemeral and "Server note: Office hours (by Ada)" in final.embed["description"]

        asked = await standin.send_slash_command("ask", {"question": "when are the office hours? @everyone"},
                                                 user=student)
        answer = await asked.wait_for_final(timeout=20)
        assert "Thursday at 5pm" in answer.embed["description"]
        assert "Server note: Office hours (by Ada)" in answer.embed["fields"][0]["value"]
        assert answer.sent_payloads[-1]["allowed_mentions"]["parse"] == []

        form = await standin.send_slash_command("kb add", {"title": "Exam room", "topic": "relu"},
                                                user=admin, permissions=MANAGE_GUILD)
        assert (await form.wait_for_response(timeout=3)).type == 9  # a modal to type the note in
        submitted = await standin.send_modal_submit("tutor:kb-add", {"text": "The ReLU quiz is in room C3."},
                                                    user=admin)
        saved = await submitted.wait_for_final(timeout=20)
        assert saved.ephemeral and "Exam room" in saved.embed["description"]

        listed = await standin.send_slash_command("kb list", user=student)
        shown = (await listed.wait_for_final(timeout=10)).embed["description"]
        assert "Office hours" in shown and "Exam room" in shown

        gaps = await standin.send_slash_command("admin gaps", user=student, permissions=0)
        assert "Manage Server" in (await gaps.wait_for_response(timeout=3)).content

    run(services, lambda s: make_settings(tmp_path), scenario)


def test_gaps_downvotes_and_save_as_answer_for_the_trusted_role(services, tmp_path):
    state: dict[str, int] = {}

    def settings(standin: DiscordStandIn):
        role = standin.add_role("tutors", permissions=0)
        state["role"] = role.id
        return make_settings(tmp_path, trusted_role_id=role.id)

    async def scenario(standin: DiscordStandIn, bot: TutorBot) -> None:
        guild_id = standin.guild.id
        student = standin.add_user("student")
        tutor = standin.add_user("tina", global_name="Tina", roles=[standin.guild.roles[state["role"]]])

        unknown = await standin.send_slash_command("ask", {"question": "when is the final exam of the course?"},
                                                   user=student)
        final = await unknown.wait_for_final(timeout=20)
        assert "don't have an article" in final.embed["description"]
        answered = await standin.send_slash_command("ask", {"question": "what does batch norm do at inference?"},
                                                    user=student)
        final = await answered.wait_for_final(timeout=20)
        down = next(c for c in final.custom_ids if c.startswith("tutor:vote:down:"))
        assert (await (await standin.send_component(down, final.id, user=student)).wait_for_response(5)).ephemeral

        async def groups():
            return await asyncio.to_thread(services.gaps.groups, guild_id)

        await standin.wait_for(lambda: len(services.gaps.groups(guild_id)) == 2, timeout=10, what="2 gap groups")
        assert {g.example for g in await groups()} == {"when is the final exam of the course?",
                                                       "what does batch norm do at inference?"}

        listing = await standin.send_slash_command("admin gaps", user=tutor, permissions=MANAGE_GUILD)
        shown = await listing.wait_for_final(timeout=10)
        assert shown.ephemeral and "final exam" in shown.embed["description"]

        question = await standin.send_message_create("when is the final exam?", author=student)
        reply = await standin.send_message_create("The final exam is on June 12 at 9am in the main hall.",
                                                  author=tutor, reply_to=question.message)
        refused = await standin.send_message_command("Save as answer", reply.message, user=student)
        assert "trusted role" in (await refused.wait_for_response(timeout=3)).content
        saved = await standin.send_message_command("Save as answer", reply.message, user=tutor)
        done = await saved.wait_for_followup(count=1, timeout=20)
        assert done.ephemeral and "Saved as server note" in done.content and "resolved 1" in done.content
        assert [g.example for g in await groups()] == ["what does batch norm do at inference?"]

        again = await standin.send_slash_command("ask", {"question": "what day is the final exam?"}, user=student)
        final = await again.wait_for_final(timeout=20)
        assert "June 12" in final.embed["description"]
        assert "Server note: when is the final exam? (by Tina)" in final.embed["fields"][0]["value"]

    run(services, settings, scenario)
