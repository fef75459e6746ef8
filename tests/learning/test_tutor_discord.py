"""The tutor loop through the real TutorBot (discord.py) against the local Discord stand-in:
/ask → "Quiz me on this" → Hint → a wrong choice shows its why_wrong → a later right answer
clears it from /progress; /next; and the question of the day posts once at its time, not again
after a restart (the bot's clock is injected, so nothing sleeps)."""

from __future__ import annotations

import asyncio
import calendar
import time

from bot.frontends.discord_bot import TutorBot
from bot.learning.store import close_stores, store_for
from tests.discord_standin import DiscordStandIn
from tests.frontends.test_discord_e2e import MANAGE_GUILD, make_settings

TIMEOUT_S = 240.0
CHECK = "tutor:act:checkme:"
HINT = "tutor:act:hint:"
ANSWER = "tutor:act:quiz:q:"
DAILY = "tutor:act:daily:d:"
EIGHT = calendar.timegm((2026, 3, 2, 8, 0, 0))  # a Monday, 08:00 UTC


def _text(message) -> str:
    embed = message.embed or {}
    return f"{message.content or ''}\n{embed.get('title', '')}\n{embed.get('description', '')}"


def _session_question(services, custom_ids: list[str]) -> tuple[dict, list[str]]:
    """The live question behind a message's answer buttons, and those buttons in option order."""
    answers = [c for c in custom_ids if c.startswith(ANSWER)]
    session_id, index = answers[0][len(ANSWER):].split(":")[:2]
    return store_for(services).get_session(session_id).questions[int(index)], answers


def _daily_posts(standin: DiscordStandIn) -> list:
    return [m for m in standin.channel_messages.get(standin.channel.id, [])
            if not m.ephemeral and m.embed and str(m.embed.get("title", "")).startswith("Question of the day")]


def test_tutor_loop_and_question_of_the_day_on_discord(services, tmp_path):
    clock = [EIGHT]
    settings = make_settings(tmp_path, daily_check_s=3600)

    async def main() -> None:
        async with DiscordStandIn() as standin:
            student = standin.add_user("student-tutor")
            admin = standin.add_user("admin-tutor")
            bot = TutorBot(settings, services=services, clock=lambda: clock[0])
            async with standin.run_client(bot, timeout=60):
                assert bot.daily_task.is_running()
                asked = await standin.send_slash_command(
                    "ask", {"question": "why does my 20-layer sigmoid net stop learning?"}, user=student)
                answer = await asked.wait_for_final(timeout=60)
                checks = [c for c in answer.custom_ids if c.startswith(CHECK)]
                assert len(checks) == 1, answer.custom_ids

                # Quiz me on this → one question, answered in place
                pressed = await standin.send_component(checks[0], answer.id, user=student)
                check = await pressed.wait_for_final(timeout=10)
                assert check.ephemeral and "Check yourself" in _text(check)
                question, answers = _session_question(services, check.custom_ids)
                assert question["topic"] == "vanishing-gradient"
                hints = [c for c in check.custom_ids if c.startswith(HINT)]
                assert len(hints) == 1 and len(answers) == len(question["choices"])

                # Hint → the authored hint, and the question again with its buttons
                hinted = await (await standin.send_component(hints[0], check.id, user=student)).wait_for_final(5)
                assert hinted.ephemeral and question["hint"][:40] in _text(hinted)

                # a wrong choice → its why_wrong and the passage that corrects it
                wrong = next(i for i, why in enumerate(question["why_wrong"]) if why) \
                    if question["type"] == "choice" else (question["answer"] + 1) % 4
                graded = await (await standin.send_component(answers[wrong], hinted.id, user=student)).wait_for_final(5)
                text = _text(graded)
                assert "Not quite" in text and "From the article" in text
                if question["type"] == "choice":
                    assert question["why_wrong"][wrong][:50] in text

                    progress = await (await standin.send_slash_command("progress", user=student)).wait_for_final(20)
                    assert "Misconceptions to fix" in _text(progress)
                    assert question["why_wrong"][wrong][:50] in _text(progress)

                # later, "Quiz me on this" again brings that question back; the right answer clears it
                again = await (await standin.send_component(checks[0], answer.id, user=student)).wait_for_final(10)
                retry, retry_answers = _session_question(services, again.custom_ids)
                if question["type"] == "choice":
                    assert retry["id"] == question["id"]
                right = await (await standin.send_component(retry_answers[retry["answer"]], again.id,
                                                            user=student)).wait_for_final(5)
                assert "Correct" in _text(right)
                progress = await (await standin.send_slash_command("progress", user=student)).wait_for_final(20)
                assert "Misconceptions to fix" not in _text(progress)
                assert store_for(services).misconceptions(student.id) == []

                # /next: one step, with the section to read
                nxt = await (await standin.send_slash_command("next", user=student)).wait_for_final(10)
                assert nxt.ephemeral and _text(nxt).split("\n")[1].startswith("Next:") and "📖 Read:" in _text(nxt)

                # the question of the day: set at 08:00 for 09:00, nothing before, one post at 09:00
                setup = await standin.send_slash_command("admin daily", {"time": "09:00"}, user=admin,
                                                         permissions=MANAGE_GUILD)
                done = await setup.wait_for_final(10)
                assert "every day at **09:00 UTC**" in _text(done) and f"<#{standin.channel.id}>" in _text(done)
                assert await bot.post_daily_questions() == 0 and _daily_posts(standin) == []
                clock[0] = EIGHT + 3600 + 20
                assert await bot.post_daily_questions() == 1
                assert await bot.post_daily_questions() == 0
                posts = _daily_posts(standin)
                assert len(posts) == 1
                buttons = [c for c in posts[0].custom_ids if c.startswith(DAILY)]
                assert len(buttons) >= 2 and any(c.startswith("tutor:act:dailyhint:") for c in posts[0].custom_ids)
                reply = await (await standin.send_component(buttons[0], posts[0].id, user=student)).wait_for_final(5)
                assert reply.ephemeral and ("Correct" in _text(reply) or "Not quite" in _text(reply))

            # a restart, still inside the 09:00 window: the new process does not post again
            close_stores()
            clock[0] = EIGHT + 3600 + 300
            bot = TutorBot(settings, services=services, clock=lambda: clock[0])
            async with standin.run_client(bot, timeout=60):
                assert await bot.post_daily_questions() == 0
                await asyncio.sleep(0)  # let the loop's first tick (at ready) run too
                board = await (await standin.send_slash_command("leaderboard", user=student)).wait_for_final(10)
                assert "student-tutor" in _text(board) or "student" in _text(board)
            assert len(_daily_posts(standin)) == 1
            assert len(store_for(services).daily_posts(standin.guild.id)) == 1

    try:
        asyncio.run(asyncio.wait_for(main(), TIMEOUT_S))
    finally:
        services.clock = time.time  # the session's shared Services go back to real time
