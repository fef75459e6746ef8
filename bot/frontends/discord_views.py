"""Buttons: page through long replies, show an answer's passages, vote 👍/👎, press an action.

Every view derives from :class:`TutorView` and every persistent button from :class:`TutorButton`,
which give each the three things mature discord.py bots (RoboDanny's paginator) give theirs:

* ``on_error``: one short ephemeral message to the user, the traceback logged under an error id
  (:func:`bot.frontends.discord_errors.report`); a DynamicItem has no ``on_error`` in discord.py
  (its errors are only logged by the library), so :class:`TutorButton` wraps its callback;
* ``interaction_check``: a view with an ``owner_id`` answers only its owner; anyone else gets
  :meth:`TutorView.on_foreign` (the pager sends them their own ephemeral copy);
* ``on_timeout``: the dead buttons are removed from the message. The edit goes through the
  newest interaction's token, which lives 15 minutes, so a timed-out view uses a timeout below that.

The answer buttons are :class:`discord.ui.DynamicItem` s whose ``custom_id`` carries the
answer id (``tutor:passages:<id>``, ``tutor:vote:up:<id>``); the bot registers the classes at
start, so buttons on messages sent before a restart keep working. Answers live in SQLite (see
:mod:`bot.runtime.storage`); a vote, like every action button, runs a command through the bot.
"""

from __future__ import annotations

import asyncio
import logging
import re
from typing import TYPE_CHECKING, Any

import discord

from bot.commands.feedback_cmds import VOTE_COMMAND
from bot.frontends.discord_errors import NO_MENTIONS, report
from bot.frontends.discord_render import COLOUR_OK, FIELD_VALUE_CHARS, PAGE_CHARS
from bot.reply import Action
from tools.text import clip

if TYPE_CHECKING:
    from bot.runtime.storage import Store

log = logging.getLogger(__name__)

TOKEN_LIFETIME_S = 15 * 60  # an interaction token edits its message for 15 minutes
PAGER_TIMEOUT_S = 10 * 60  # < TOKEN_LIFETIME_S: the timeout edit must still be allowed
NOT_YOURS = "These buttons belong to someone else's reply; run the command yourself to get your own."


def _store(interaction: discord.Interaction) -> "Store":
    return interaction.client.store  # type: ignore[attr-defined]


class TutorView(discord.ui.View):
    """The base of every view the bot sends: errors answered, owner checked, dead buttons removed.

    The sender calls :meth:`bind` with the interaction whose response carries the view; every
    accepted click replaces it, so :meth:`on_timeout` edits with a token that is still valid
    (``timeout`` must stay below :data:`TOKEN_LIFETIME_S`). ``owner_id=None``: anyone may click.
    """

    def __init__(self, *, timeout: float | None = PAGER_TIMEOUT_S, owner_id: int | None = None) -> None:
        if timeout is not None and timeout >= TOKEN_LIFETIME_S:
            raise ValueError(f"a view's timeout must be under {TOKEN_LIFETIME_S} s to remove its buttons")
        super().__init__(timeout=timeout)
        self.owner_id = owner_id
        self.interaction: discord.Interaction | None = None

    def bind(self, interaction: discord.Interaction) -> None:
        self.interaction = interaction

    async def interaction_check(self, interaction: discord.Interaction, /) -> bool:
        if self.owner_id is not None and interaction.user.id != self.owner_id:
            await self.on_foreign(interaction)
            return False
        self.interaction = interaction
        return True

    async def on_foreign(self, interaction: discord.Interaction) -> None:
        """Someone other than the owner clicked: tell them, privately (views may do better)."""
        await interaction.response.send_message(NOT_YOURS, ephemeral=True, allowed_mentions=NO_MENTIONS)

    async def on_timeout(self) -> None:
        """Drop the buttons: after the timeout nobody listens to them any more."""
        if self.interaction is None:
            return
        try:
            await self.interaction.edit_original_response(view=None)
        except discord.HTTPException as err:  # the message was deleted, or the token expired
            log.info("could not remove timed-out buttons of %s: %s", type(self).__name__, err)

    async def on_error(self, interaction: discord.Interaction, error: Exception, item: discord.ui.Item[Any], /) -> None:
        await report(interaction, error, f"{type(self).__name__} item {getattr(item, 'custom_id', item)!r}")


class PagerView(TutorView):
    """◀ ▶ buttons over pre-rendered embeds (not persistent: pages live in memory).

    Only the person who ran the command pages their reply; anyone else who clicks gets their own
    ephemeral copy, opened at the page they asked for. ``actions``: the reply's own persistent
    buttons (an article's "Quiz me on this"), shown next to the pager and kept when it times out;
    they are dynamic items, dispatched by the client for anyone (never through this view's owner check)."""

    def __init__(self, pages: list[discord.Embed], owner_id: int | None = None, index: int = 0,
                 timeout: float | None = None, actions: tuple[Action, ...] = ()) -> None:
        super().__init__(timeout=PAGER_TIMEOUT_S if timeout is None else timeout, owner_id=owner_id)
        self.pages = pages
        self.index = max(0, min(index, len(pages) - 1))
        self.actions = actions[:23]
        for action in self.actions:
            self.add_item(ActionButton(action.command, action.payload, action.label, action.style))
        self._sync()

    async def on_timeout(self) -> None:
        """Only the pager goes; the reply's own (persistent) buttons stay."""
        if not self.actions or self.interaction is None:
            await super().on_timeout()
            return
        try:
            await self.interaction.edit_original_response(view=reply_view(None, self.actions))
        except discord.HTTPException as err:
            log.info("could not drop the pager of a timed-out reply: %s", err)

    def _sync(self) -> None:
        self.previous.disabled = self.index == 0
        self.next.disabled = self.index >= len(self.pages) - 1

    def _target(self, custom_id: str | None) -> int:
        step = -1 if custom_id == self.previous.custom_id else 1 if custom_id == self.next.custom_id else 0
        return max(0, min(len(self.pages) - 1, self.index + step))

    async def on_foreign(self, interaction: discord.Interaction) -> None:
        target = self._target((interaction.data or {}).get("custom_id"))  # type: ignore[union-attr]
        copy = PagerView(self.pages, owner_id=interaction.user.id, index=target, timeout=self.timeout,
                         actions=self.actions)
        await interaction.response.send_message(embed=self.pages[target], view=copy, ephemeral=True,
                                                allowed_mentions=NO_MENTIONS)
        copy.bind(interaction)

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


class TutorButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"(?!)"):
    """The base of every persistent button: subclasses give a ``template`` and implement :meth:`run`.

    discord.py only logs an exception raised in a DynamicItem's callback (the user sees
    "This interaction failed"), so the callback here catches it and calls :meth:`on_error`.
    This base's own template matches nothing; it is never registered."""

    async def callback(self, interaction: discord.Interaction) -> None:
        try:
            await self.run(interaction)
        except Exception as err:
            await self.on_error(interaction, err)

    async def run(self, interaction: discord.Interaction) -> None:
        raise NotImplementedError

    async def on_error(self, interaction: discord.Interaction, error: Exception) -> None:
        await report(interaction, error, f"button {self.custom_id!r}")


class PassagesButton(TutorButton, template=r"tutor:passages:(?P<id>[0-9a-f]{6,32})"):
    def __init__(self, answer_id: str) -> None:
        super().__init__(discord.ui.Button(label="Show passages", style=discord.ButtonStyle.secondary,
                                           emoji="📖", custom_id=f"tutor:passages:{answer_id}"))
        self.answer_id = answer_id

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Button[Any],
                             match: re.Match[str], /) -> "PassagesButton":
        return cls(match["id"])

    async def run(self, interaction: discord.Interaction) -> None:
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


class ThreadButton(TutorButton, template=r"tutor:thread:(?P<id>[0-9a-f]{6,32})"):
    """"Follow up in a thread" under an answer: opens a thread on that message, seeded with the
    question and the answer (see :mod:`bot.frontends.discord_threads`)."""

    def __init__(self, answer_id: str) -> None:
        super().__init__(discord.ui.Button(label="Follow up in a thread", style=discord.ButtonStyle.secondary,
                                           emoji="🧵", custom_id=f"tutor:thread:{answer_id}"))
        self.answer_id = answer_id

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Button[Any],
                             match: re.Match[str], /) -> "ThreadButton":
        return cls(match["id"])

    async def run(self, interaction: discord.Interaction) -> None:
        await interaction.client.open_thread(interaction, self.answer_id)  # type: ignore[attr-defined]


_STYLES = {
    "primary": discord.ButtonStyle.primary,
    "secondary": discord.ButtonStyle.secondary,
    "success": discord.ButtonStyle.success,
    "danger": discord.ButtonStyle.danger,
}


class ActionButton(TutorButton,
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

    async def run(self, interaction: discord.Interaction) -> None:
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


def reply_view(answer_id: str | None, actions: tuple[Action, ...] = (), thread: bool = False) -> TutorView | None:
    """Persistent buttons for a reply: answer tools (passages, votes, and with ``thread`` "Follow
    up in a thread") and the reply's actions."""
    if not answer_id and not actions:
        return None
    view = TutorView(timeout=None)
    if answer_id:
        view.add_item(PassagesButton(answer_id))
        view.add_item(VoteButton(answer_id, "up"))
        view.add_item(VoteButton(answer_id, "down"))
        if thread:
            view.add_item(ThreadButton(answer_id))
    for action in actions[: 25 - len(view.children)]:
        view.add_item(ActionButton(action.command, action.payload, action.label, action.style))
    return view


DYNAMIC_ITEMS = (PassagesButton, VoteButton, ThreadButton, ActionButton)
