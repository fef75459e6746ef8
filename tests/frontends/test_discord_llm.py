"""/ask with an LLM configured, end to end: Discord stand-in + OpenAI-compatible stand-in, both on
127.0.0.1, the real discord.py client and the real openai SDK in between."""

from __future__ import annotations

import asyncio

import pytest

from bot.frontends.discord_bot import TutorBot
from bot.llm.backend import OpenAIChatBackend
from bot.services import Services
from tests.discord_standin import DiscordStandIn
from tests.frontends.test_discord_e2e import make_settings
from tests.llm.standin import Fail, Say, StandIn

ANSWER = ("Deep sigmoid nets stop learning because each layer multiplies the gradient by at most 0.25, "
          "so after many layers almost nothing reaches the first layer [1]. ReLU and careful init help [2].")


@pytest.fixture(scope="module")
def llm():
    server = StandIn().start()
    yield server
    server.stop()


def run_bot(services_base, tmp_path, llm_server, scenario):
    async def main() -> None:
        async with DiscordStandIn() as standin:
            settings = make_settings(tmp_path, llm_base_url=llm_server.url, llm_model=llm_server.model,
                                     llm_timeout_s=5)
            services = Services(settings)
            # reuse the warm knowledge base and answerer of the session (same articles and model)
            services.__dict__["kb"] = services_base.kb
            services.__dict__["answerer"] = services_base.answerer
            bot = TutorBot(settings, services=services)
            assert isinstance(services.answer_backend, OpenAIChatBackend)
            async with standin.run_client(bot, timeout=60):
                await scenario(standin, bot)

    asyncio.run(asyncio.wait_for(main(), 120))


def test_llm_answer_streams_with_throttled_edits_then_final_embed(services, tmp_path, llm):
    llm.reset()
    llm.push(Say(ANSWER, chunk_chars=8, delay_s=0.12))

    async def scenario(standin: DiscordStandIn, bot: TutorBot) -> None:
        handle = await standin.send_slash_command("ask", {"question": "why does my deep sigmoid net stop learning?"})
        assert (await handle.wait_for_response(timeout=3)).type == 5
        final = await handle.wait_for_final(timeout=30, predicate=lambda m: bool(m.embeds))
        versions = [payload for _, payload in final.history]
        previews = [v for v in versions if v.get("content") and not v.get("embeds")]
        assert previews, "the answer should have been shown while it streamed"
        times = [t for t, v in final.history if v.get("content") and not v.get("embeds")]
        assert all(b - a >= 0.9 for a, b in zip(times, times[1:])), "at most ~1 edit per second"
        assert final.content == "" and "0.25" in final.embed["description"]
        assert final.embed["fields"][0]["name"] == "Sources"
        assert any(c.startswith("tutor:vote:up:") for c in final.custom_ids)
        assert llm.requests and llm.requests[-1]["stream"] is True

    run_bot(services, tmp_path, llm, scenario)


def test_llm_failure_falls_back_to_the_extractive_answer_with_a_note(services, tmp_path, llm):
    llm.reset()
    llm.push(Fail(500), Fail(500), Fail(500))

    async def scenario(standin: DiscordStandIn, bot: TutorBot) -> None:
        handle = await standin.send_slash_command("ask", {"question": "what does batch norm do at inference?"})
        final = await handle.wait_for_final(timeout=30, predicate=lambda m: bool(m.embeds))
        assert "batch" in final.embed["description"].lower()
        assert "footer" in final.embed and final.embed["footer"]["text"]

    run_bot(services, tmp_path, llm, scenario)


def test_off_topic_question_never_reaches_the_llm(services, tmp_path, llm):
    llm.reset()

    async def scenario(standin: DiscordStandIn, bot: TutorBot) -> None:
        handle = await standin.send_slash_command("ask", {"question": "how long should I boil an egg?"})
        final = await handle.wait_for_final(timeout=30, predicate=lambda m: bool(m.embeds))
        assert "I don't have an article" in final.embed["description"]
        assert llm.requests == []

    run_bot(services, tmp_path, llm, scenario)
