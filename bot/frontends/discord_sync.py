"""`tutor sync`: log in, register the slash commands, log out (no gateway session needed)."""

from __future__ import annotations

import asyncio

import discord

from bot.frontends.discord_bot import TutorBot
from bot.settings import Settings
from tools.errors import UserInputError


async def _sync(settings: Settings, guild_id: int | None) -> int:
    bot = TutorBot(settings)
    try:
        await bot.login(settings.discord_token.get_secret_value())  # type: ignore[union-attr]
        if guild_id:
            guild = discord.Object(id=guild_id)
            bot.tree.copy_global_to(guild=guild)
            synced = await bot.tree.sync(guild=guild)
        else:
            synced = await bot.tree.sync()
        return len(synced)
    except discord.LoginFailure:
        raise UserInputError("Discord rejected the token: check DISCORD_TOKEN") from None
    finally:
        await bot.close()


def sync_commands(settings: Settings, guild_id: int | None = None) -> int:
    return asyncio.run(_sync(settings, guild_id))
