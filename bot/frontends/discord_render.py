"""Reply → Discord messages: embeds, attachments and pages, within Discord's limits.

Pure functions of a Reply (no network), so the limits are unit-tested: 4,096 characters per
embed description (we page at ~3,500 for headroom), 1,024 per field, 25 fields, 6,000 characters
per message across embeds, at most 10 files, each under the guild's upload limit.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field

import discord

from bot.reply import Reply
from tools.text import clip

PAGE_CHARS = 3_500
TITLE_CHARS = 256
FIELD_VALUE_CHARS = 1_024
FOOTER_CHARS = 2_048
MESSAGE_EMBED_CHARS = 6_000
MAX_FILES = 10
MAX_SOURCE_FIELDS = 5
CONTENT_CHARS = 2_000

COLOUR_OK = discord.Colour.from_rgb(88, 101, 242)
COLOUR_ABSTAIN = discord.Colour.from_rgb(250, 168, 26)
COLOUR_ERROR = discord.Colour.from_rgb(237, 66, 69)


_MENTION = re.compile(r"<(?:@[!&]?|#)\d+>|@(?:everyone|here)")


def strip_mentions(text: str | None) -> str:
    """Text a user typed, without Discord's mention syntax (users, roles, channels, @everyone)."""
    return " ".join(_MENTION.sub(" ", text or "").split())


def split_pages(text: str, limit: int = PAGE_CHARS) -> list[str]:
    """Split Markdown at paragraph, then line, then word boundaries; never inside a word."""
    text = text.strip()
    if len(text) <= limit:
        return [text] if text else [""]
    pages: list[str] = []
    current = ""
    for block in re.split(r"(\n\n+)", text):
        if len(current) + len(block) <= limit:
            current += block
            continue
        if current.strip():
            pages.append(current.strip())
        current = ""
        while len(block) > limit:  # a single huge paragraph
            cut = block.rfind("\n", 0, limit)
            if cut <= 0:
                cut = block.rfind(" ", 0, limit)
            if cut <= 0:
                cut = limit
            pages.append(block[:cut].strip())
            block = block[cut:]
        current = block
    if current.strip():
        pages.append(current.strip())
    return pages


def table_block(reply: Reply) -> str:
    """Tables as monospaced code blocks (Discord has no table markup)."""
    out = []
    for table in reply.tables:
        rows = [table.columns, *table.rows]
        widths = [max(len(str(r[i])) for r in rows) for i in range(len(table.columns))]
        lines = ["  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]
        lines.insert(1, "  ".join("─" * w for w in widths))
        head = f"**{table.title}**\n" if table.title else ""
        out.append(f"{head}```\n" + "\n".join(lines) + "\n```")
    return "\n".join(out)


@dataclass
class RenderedReply:
    pages: list[discord.Embed]
    files: list[discord.File] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def first(self) -> discord.Embed:
        return self.pages[0]


def render_reply(reply: Reply, filesize_limit: int = 10 * 1024 * 1024) -> RenderedReply:
    colour = COLOUR_ERROR if reply.is_error else COLOUR_ABSTAIN if (
        isinstance(reply.data, dict) and reply.data.get("abstained")) else COLOUR_OK
    body = reply.text
    tables = table_block(reply)
    if tables:
        body = f"{body}\n\n{tables}" if body else tables
    texts = split_pages(body)
    title = clip(reply.title, TITLE_CHARS) or None
    pages: list[discord.Embed] = []
    for i, text in enumerate(texts):
        embed = discord.Embed(title=title, description=text, colour=colour)
        if len(texts) > 1:
            embed.set_footer(text=f"Page {i + 1}/{len(texts)}")
        pages.append(embed)

    first = pages[0]
    if reply.sources:
        shown = reply.sources[:MAX_SOURCE_FIELDS]
        value = "\n".join(f"[{n}] {clip(s.label(), 200)}" for n, s in enumerate(shown, 1))
        more = len(reply.sources) - len(shown)
        if more > 0:
            value += f"\n…and {more} more"
        first.add_field(name="Sources", value=clip(value, FIELD_VALUE_CHARS), inline=False)
    footer = reply.extra.get("footer")
    if footer:
        existing = first.footer.text if first.footer and first.footer.text else ""
        first.set_footer(text=clip(f"{footer}  ·  {existing}" if existing else footer, FOOTER_CHARS))

    files: list[discord.File] = []
    notes: list[str] = []
    for image in reply.images:
        if len(files) >= MAX_FILES:
            notes.append(f"{len(reply.images) - MAX_FILES} more image(s) not shown (Discord allows 10 per message)")
            break
        if len(image.png) > filesize_limit:
            notes.append(f"{image.filename} is too large for this server's upload limit")
            continue
        files.append(discord.File(io.BytesIO(image.png), filename=image.filename,
                                  description=clip(image.description, 1024) or None))
    pictures = [f for f in files if (f.filename or "").lower().endswith(".png")]
    if pictures:  # other files (an export) are attachments only
        first.set_image(url=f"attachment://{pictures[0].filename}")
    if notes:
        first.add_field(name="Note", value=clip("\n".join(notes), FIELD_VALUE_CHARS), inline=False)
    # Whole-message budget: one page is sent at a time, so only that page must fit in 6,000.
    for embed in pages:
        while len(embed) > MESSAGE_EMBED_CHARS and embed.description:
            embed.description = clip(embed.description, max(100, len(embed.description) - 500))
    return RenderedReply(pages, files, notes)


def error_text(message: str) -> str:
    return clip(f"⚠️ {message}", CONTENT_CHARS)
