"""The quiz through the real TutorBot (discord.py) against the local Discord stand-in: /quiz,
persistent answer buttons, ephemeral feedback, a restart in the middle, someone else's click."""

from __future__ import annotations

import asyncio

from bot.frontends.discord_bot import TutorBot
from bot.learning.store import store_for
from bot.services import Services
from bot.settings import Settings
from tests.discord_standin import DiscordStandIn

TIMEOUT_S = 60.0
QUIZ_BUTTON = "tutor:act:quiz:q:"


class QuizOnlyServices(Services):
    """The quiz needs neither the embedding model nor the index: skip loading them at start."""

    def warm_up(self) -> None:
        _ = self.articles


def test_quiz_buttons_on_discord_survive_a_restart(tmp_path):
    settings = Settings(data_dir=tmp_path / "var", cooldown_s=0, heavy_cooldown_s=0, worker_processes=1)
    services = QuizOnlyServices(settings)

    async def main() -> None:
        async with DiscordStandIn() as standin:
            async with standin.run_client(TutorBot(settings, services=services), timeout=TIMEOUT_S):
                handle = await standin.send_slash_command("quiz", {"topic": "relu", "count": 2})
                question = await handle.wait_for_final(timeout=10)
                assert "question 1 of 2" in question.embed["title"]
                buttons = [c for c in question.custom_ids if c.startswith(QUIZ_BUTTON)]
                assert len(buttons) == 4

                stranger = standin.add_user("stranger")
                foreign = await standin.send_component(buttons[0], question.id, user=stranger)
                refused = await foreign.wait_for_response(timeout=5)
                assert refused.ephemeral and "someone else" in (refused.content or str(refused.embeds))

                first = await standin.send_component(buttons[1], question.id)
                assert (await first.wait_for_response(timeout=5)).type == 4  # answered at once, no defer
                feedback = await first.wait_for_final(timeout=5)
                assert feedback.ephemeral
                text = feedback.embed["description"]
                assert "Tested:" in text and "question 2 of 2" in text
                following = [c for c in feedback.custom_ids if c.startswith(QUIZ_BUTTON)]
                assert len(following) == 4

            # a new bot process handles a click on a button the old one sent
            async with standin.run_client(TutorBot(settings, services=services), timeout=TIMEOUT_S):
                second = await standin.send_component(following[2], feedback.id)
                done = await second.wait_for_final(timeout=5)
                assert done.ephemeral and "Quiz finished" in done.embed["description"] and not done.custom_ids
                stale = await standin.send_component(buttons[2], question.id)
                expired = await stale.wait_for_response(timeout=5)
                assert expired.ephemeral and "expired, start a new /quiz" in (expired.content or str(expired.embeds))
        assert store_for(services).count_answers() == 2

    asyncio.run(asyncio.wait_for(main(), TIMEOUT_S * 2))
