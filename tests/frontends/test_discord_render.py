"""Reply → Discord embeds within Discord's limits (pure rendering, no network)."""

import discord

from bot.frontends.discord_render import (
    FIELD_VALUE_CHARS, MAX_FILES, MESSAGE_EMBED_CHARS, PAGE_CHARS, render_reply, split_pages,
)
from bot.reply import Image, Reply, Source, Table

PNG = b"\x89PNG\r\n\x1a\n" + b"0" * 100


def test_long_text_is_paged_at_paragraphs_without_losing_words():
    paragraphs = [f"Paragraph {i} " + "word " * 120 for i in range(40)]
    text = "\n\n".join(paragraphs)
    pages = split_pages(text)
    assert len(pages) > 1
    assert all(len(p) <= PAGE_CHARS for p in pages)
    assert " ".join(" ".join(pages).split()) == " ".join(text.split())


def test_a_single_giant_word_is_still_cut_to_the_limit():
    pages = split_pages("x" * (PAGE_CHARS * 2 + 10))
    assert all(len(p) <= PAGE_CHARS for p in pages) and sum(map(len, pages)) == PAGE_CHARS * 2 + 10


def test_every_page_fits_discord_limits_with_sources_tables_and_images():
    reply = Reply(
        text="\n\n".join("a fairly long sentence " * 40 for _ in range(20)),
        title="T" * 400,
        sources=tuple(Source("relu", "ReLU " * 60, "Section " * 50) for _ in range(9)),
        tables=(Table(("a", "b"), tuple((str(i), "x" * 30) for i in range(12))),),
        images=tuple(Image(f"img{i}.png", PNG) for i in range(12)),
        extra={"footer": "f" * 3000},
    )
    rendered = render_reply(reply)
    assert len(rendered.pages) > 1
    for embed in rendered.pages:
        assert len(embed) <= MESSAGE_EMBED_CHARS
        assert len(embed.title or "") <= 256
        assert len(embed.description or "") <= 4096
        assert all(len(f.value) <= FIELD_VALUE_CHARS for f in embed.fields)
        assert len(embed.footer.text or "") <= 2048
    assert len(rendered.files) == MAX_FILES
    assert rendered.first.image.url == "attachment://img0.png"
    assert any("not shown" in f.value for f in rendered.first.fields)


def test_images_over_the_upload_limit_are_skipped_with_a_note():
    reply = Reply(text="plot", images=(Image("big.png", PNG * 1000), Image("small.png", PNG)))
    rendered = render_reply(reply, filesize_limit=5_000)
    assert [f.filename for f in rendered.files] == ["small.png"]
    assert "too large" in rendered.first.fields[-1].value


def test_abstention_and_errors_have_distinct_colours():
    ok = render_reply(Reply(text="x", data={"abstained": False})).first.colour
    abstained = render_reply(Reply(text="x", data={"abstained": True})).first.colour
    error = render_reply(Reply.error("bad")).first.colour
    assert len({ok, abstained, error}) == 3
    assert isinstance(ok, discord.Colour)
