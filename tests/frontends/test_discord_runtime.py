"""The bot under pressure and at shutdown, through the real discord.py client and the stand-in:
a demo queue longer than a student should wait is refused with when to try again; closing the
bot closes every database, the worker pool and the LLM client, and nothing waits for ever."""

from __future__ import annotations

import asyncio
import re

import psutil
import pytest

from bot.frontends.discord_bot import TutorBot
from bot.learning.store import StoreClosed, store_for
from bot.services import Services
from tests.discord_standin import DiscordStandIn
from tests.frontends.test_discord_e2e import make_settings
from tests.llm.standin import Say, StandIn
from tools import migrations

ANSWER = "Deep sigmoid nets stop learning because each layer multiplies the gradient by at most 0.25 [1]."


@pytest.fixture(scope="module")
def llm():
    server = StandIn().start()
    yield server
    server.stop()


def _services(base: Services, settings) -> Services:
    svc = Services(settings)
    svc.__dict__["articles"] = base.articles
    svc.__dict__["kb"] = base.kb.with_notes(svc.notes)
    svc.__dict__["answerer"] = base.answerer
    return svc


def test_a_long_demo_queue_is_refused_with_when_to_try_again(services, tmp_path):
    settings = make_settings(tmp_path, worker_processes=1, queue_wait_s=1.0)
    svc = _services(services, settings)

    async def main() -> None:
        async with DiscordStandIn() as standin:
            bot = TutorBot(settings.model_copy(update={"dev_guild_id": standin.guild.id}), services=svc)
            async with standin.run_client(bot, timeout=60):
                first = await standin.send_slash_command("demo tuning", {"budget": 30}, user=standin.add_user("ada"))
                await asyncio.sleep(0.2)
                second = await standin.send_slash_command("demo activations", user=standin.add_user("bo"))
                await second.wait_for(lambda h: h.followups, timeout=60)  # the error replaces "thinking…"
                refused = second.followups[-1]
                assert refused.ephemeral and re.search(r"busy .*try again in \d+ s", refused.content)
                done = await first.wait_for_final(timeout=300, predicate=lambda m: bool(m.embeds))
                assert "tuning" in done.embed.get("title", "").lower() or done.attachments  # the first one finished

    asyncio.run(asyncio.wait_for(main(), 400))
    svc.close()


def test_closing_the_bot_closes_every_store_the_pool_and_the_llm_client(services, tmp_path, llm):
    llm.reset()
    llm.push(Say(ANSWER, chunk_chars=20))
    settings = make_settings(tmp_path, worker_processes=1, llm_base_url=llm.url, llm_model=llm.model,
                             llm_timeout_s=10)
    svc = _services(services, settings)
    paths = [settings.database_path, settings.notes_db_path, settings.data_dir / "learning.db"]

    async def main() -> None:
        async with DiscordStandIn() as standin:
            bot = TutorBot(settings.model_copy(update={"dev_guild_id": standin.guild.id}), services=svc,
                           owns_services=True)
            async with standin.run_client(bot, timeout=60):
                ask = await standin.send_slash_command("ask", {"question": "why does my deep sigmoid net stop learning?"})
                await ask.wait_for_final(timeout=60, predicate=lambda m: bool(m.embeds))
                demo = await standin.send_slash_command("demo activations")
                await demo.wait_for_final(timeout=300, predicate=lambda m: bool(m.embeds))
                quiz = await standin.send_slash_command("quiz", {"topic": "relu", "count": 1})
                await quiz.wait_for_final(timeout=60, predicate=lambda m: bool(m.embeds))
                _ = svc.gaps  # notes.db: the notes and the gap log
                learning = store_for(svc)
                workers = bot.runner.worker_pids()
                backend = svc.answer_backend
                loop = asyncio.get_running_loop()
                assert workers and backend._clients.get(loop) is not None
                assert all(p.resolve() in migrations._OPEN for p in paths)
            # run_client has closed the bot (within its 5 s)
            assert backend._clients.get(loop) is None  # the OpenAI client of this loop is closed
            assert not bot.runner.started and bot.runner.worker_pids() == []
            assert all(not psutil.pid_exists(pid) or psutil.Process(pid).status() == "zombie" for pid in workers)
            assert [p.name for p in paths if p.resolve() in migrations._OPEN] == []  # no connection left
            assert learning.closed and svc.notes._handle.closed and svc.gaps._handle.closed
            with pytest.raises(StoreClosed):  # a write after shutdown fails at once, never waits
                await asyncio.wait_for(asyncio.to_thread(learning.forget_user, 1), 10)

    asyncio.run(asyncio.wait_for(main(), 500))


def test_a_write_racing_the_learning_store_shutdown_never_hangs(tmp_path):
    from bot.learning.store import LearningStore

    store = LearningStore(tmp_path / "learning.db")

    async def main() -> list[object]:
        writes = [asyncio.to_thread(store.forget_user, i) for i in range(40)]
        closing = asyncio.to_thread(store.close)
        return await asyncio.wait_for(asyncio.gather(*writes, closing, return_exceptions=True), 30)

    results = asyncio.run(main())
    assert all(isinstance(r, (dict, StoreClosed)) or r is None for r in results), results
