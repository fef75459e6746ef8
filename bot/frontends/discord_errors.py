"""What a Discord user is told when something fails, in one place for commands, buttons and forms.

A user error (bad input, a cooldown, a full queue, a timeout) is shown as it is; anything else
becomes one short apology carrying an error id, and the traceback is logged under that id, so a
report from a student ("error id 3f9c…") leads straight to the log line. Replies are ephemeral
and never ping anyone.
"""

from __future__ import annotations

import contextlib
import logging
import uuid
from typing import Any

import discord

from bot.frontends.discord_render import error_text
from bot.runtime.limits import RateLimited
from bot.runtime.runner import QueueFull, ToolTimeout
from tools.errors import NotAllowed, UserInputError

log = logging.getLogger(__name__)

NO_MENTIONS = discord.AllowedMentions.none()
USER_ERRORS = (UserInputError, RateLimited, QueueFull, ToolTimeout)


def error_message(err: BaseException, what: str, user_id: int, usage: str = "", details: Any = None) -> str:
    """What to tell the user about ``err``: a user error as it is (with the usage for bad input),
    anything else as an apology with an id that is logged with the traceback."""
    if isinstance(err, USER_ERRORS):
        hint = f"\nUsage: `{usage}`" if usage and isinstance(err, UserInputError) and not isinstance(
            err, NotAllowed) else ""
        return f"{err}{hint}"
    error_id = uuid.uuid4().hex[:8]
    log.error("error id %s in %s by user %s%s", error_id, what, user_id,
              f" with {details!r}" if details is not None else "", exc_info=err)
    return f"Sorry, something went wrong on our side (error id `{error_id}`)."


async def send_error(interaction: discord.Interaction, message: str) -> None:
    """Tell the user ephemerally; a public "thinking…" placeholder of a deferred command goes first.

    Only a "thinking…" defer (type 5) has a placeholder of its own: after a component's silent
    defer (type 6) or an update (type 7) the "original" is the message the button is on."""
    text = error_text(message)
    try:
        if interaction.response.is_done():
            if interaction.response.type is discord.InteractionResponseType.deferred_channel_message:
                with contextlib.suppress(discord.HTTPException):
                    await interaction.delete_original_response()
            await interaction.followup.send(text, ephemeral=True, allowed_mentions=NO_MENTIONS)
        else:
            await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NO_MENTIONS)
    except discord.HTTPException:
        log.warning("could not deliver an error message to user %s", interaction.user.id)


async def report(interaction: discord.Interaction, err: BaseException, what: str) -> None:
    """``send_error`` of :func:`error_message`: the one call a view's or item's ``on_error`` makes."""
    await send_error(interaction, error_message(err, what, interaction.user.id))
