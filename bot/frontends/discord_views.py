"""Buttons: page through long replies, show an answer's passages, vote 👍/👎, press an action.

The answer buttons are :class:`discord.ui.DynamicItem` s whose ``custom_id`` carries the
answer id (``tutor:passages:<id>``, ``tutor:vote:up:<id>``); the bot registers the classes at
start, so buttons on messages sent before a restart keep working. Answers live in SQLite (see
:mod:`bot.runtime.storage`); a vote, like every action button, runs a command through the bot.
"""

from __future__ import annotations

import asyncio
import re
from typing import TYPE_CHECKING, Any

import discord

from bot.commands.feedback_cmds import VOTE_COMMAND
from bot.frontends.discord_render import COLOUR_OK, FIELD_VALUE_CHARS, PAGE_CHARS
from bot.reply import Action
from tools.text import clip

if TYPE_CHECKING:
    from bot.runtime.storage import Store

NO_MENTIONS = discord.AllowedMentions.none()
PAGER_TIMEOUT_S = 900


def _store(interaction: discord.Interaction) -> "Store":
    return interaction.client.store  # type: ignore[attr-defined]


class PagerView(discord.ui.View):
    """◀ ▶ buttons over pre-rendered embeds (not persistent: pages live in memory)."""

    def __init__(self, pages: list[discord.Embed]) -> None:
        super().__init__(timeout=PAGER_TIMEOUT_S)
        self.pages = pages
        self.index = 0
        self._sync()

    def _sync(self) -> None:
        self.previous.disabled = self.index == 0
        self.next.disabled = self.index >= len(self.pages) - 1

    async def _show(self, interaction: discord.Interaction) -> None:
        self._sync()
        await interaction.response.edit_message(embed=self.pages[self.index], view=self)

    @discord.ui.button(label="◀ Previous", style=discord.ButtonStyle.secondary)
    async def previous(self, interaction: discord.Interaction, button: discord.ui.Button[Any]) -> None:
        self.index = max(0, self.index - 1)
        await self._show(interaction)

    @discord.ui.button(label="Next ▶", style=discord.ButtonStyle.secondary)
    async def next(self, interaction: discord.Interaction, button: discord.ui.Button[Any]) -> None:
        self.index = min(len(self.pages) - 1, self.index + 1)
        await self._show(interaction)


class PassagesButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"tutor:passages:(?P<id>[0-9a-f]{6,32})"):
    def __init__(self, answer_id: str) -> None:
        super().__init__(discord.ui.Button(label="Show passages", style=discord.ButtonStyle.secondary,
                                           emoji="📖", custom_id=f"tutor:passages:{answer_id}"))
        self.answer_id = answer_id

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Button[Any],
                             match: re.Match[str], /) -> "PassagesButton":
        return cls(match["id"])

    async def callback(self, interaction: discord.Interaction) -> None:
        stored = await asyncio.to_thread(_store(interaction).get_answer, self.answer_id)
        if stored is None or not stored.passages:
            await interaction.response.send_message("Those passages are no longer available.", ephemeral=True,
                                                    allowed_mentions=NO_MENTIONS)
            return
        embed = discord.Embed(title="Passages this answer quotes", colour=COLOUR_OK)
        budget = PAGE_CHARS
        for passage in stored.passages[:5]:
            head, _, body = passage.partition("\n")
            value = clip(body, min(FIELD_VALUE_CHARS, budget))
            budget -= len(value) + len(head)
            embed.add_field(name=clip(head, 256), value=value or "…", inline=False)
            if budget <= 200:
                break
        await interaction.response.send_message(embed=embed, ephemeral=True, allowed_mentions=NO_MENTIONS)


_STYLES = {
    "primary": discord.ButtonStyle.primary,
    "secondary": discord.ButtonStyle.secondary,
    "success": discord.ButtonStyle.success,
    "danger": discord.ButtonStyle.danger,
}


class ActionButton(discord.ui.DynamicItem[discord.ui.Button[Any]],
                   template=r"tutor:act:(?P<cmd>[a-z][a-z0-9-]{0,30}):(?P<payload>[A-Za-z0-9_.:-]{1,80})"):
    """A :class:`bot.reply.Action` as a persistent button: the custom_id carries the command and
    payload, so it works after a restart; pressing it runs the action through the command layer."""

    def __init__(self, command: str, payload: str, label: str | None = "…", style: str = "secondary",
                 emoji: str | None = None, custom_id: str | None = None) -> None:
        super().__init__(discord.ui.Button(
            label=clip(label, 80) if label else None, emoji=emoji,
            style=_STYLES.get(style, discord.ButtonStyle.secondary),
            custom_id=custom_id or f"tutor:act:{command}:{payload}"))
        self.command = command
        self.payload = payload

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Button[Any],
                             match: re.Match[str], /) -> "ActionButton":
        return cls(match["cmd"], match["payload"], item.label or "…")

    async def callback(self, interaction: discord.Interaction) -> None:
        await interaction.client.run_action(interaction, self.command, self.payload)  # type: ignore[attr-defined]


class VoteButton(ActionButton, template=r"tutor:vote:(?P<vote>up|down):(?P<id>[0-9a-f]{6,32})"):
    """👍 / 👎 under an answer: runs the vote action (its custom_id predates action buttons)."""

    def __init__(self, answer_id: str, vote: str) -> None:
        super().__init__(VOTE_COMMAND, f"{vote}:{answer_id}", None, emoji="👍" if vote == "up" else "👎",
                         custom_id=f"tutor:vote:{vote}:{answer_id}")

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Button[Any],
                             match: re.Match[str], /) -> "VoteButton":
        return cls(match["id"], match["vote"])


def reply_view(answer_id: str | None, actions: tuple[Action, ...] = ()) -> discord.ui.View | None:
    """Persistent buttons for a reply: answer tools (passages, votes) and the reply's actions."""
    if not answer_id and not actions:
        return None
    view = discord.ui.View(timeout=None)
    if answer_id:
        view.add_item(PassagesButton(answer_id))
        view.add_item(VoteButton(answer_id, "up"))
        view.add_item(VoteButton(answer_id, "down"))
    for action in actions[: 25 - len(view.children)]:
        view.add_item(ActionButton(action.command, action.payload, action.label, action.style))
    return view


DYNAMIC_ITEMS = (PassagesButton, VoteButton, ActionButton)
