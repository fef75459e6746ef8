"""Render a Reply for a terminal (rich): used by the console and the CLI's text mode."""

from __future__ import annotations

import re
from pathlib import Path

from rich.console import Console
from rich.markdown import Markdown
from rich.panel import Panel
from rich.table import Table as RichTable

from bot.reply import Reply

_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def save_images(reply: Reply, out_dir: Path, first_as: Path | None = None) -> list[Path]:
    """Write the reply's PNGs; the first goes to ``first_as`` when given (``--out``)."""
    paths: list[Path] = []
    for i, image in enumerate(reply.images):
        if i == 0 and first_as is not None:
            path = first_as
        else:
            path = out_dir / (_SAFE_NAME.sub("_", image.filename) or f"image-{i}.png")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(image.png)
        paths.append(path)
    return paths


def chat_markdown(text: str) -> str:
    """Chat Markdown keeps single line breaks (Discord does); CommonMark would join the lines,
    so outside code blocks each line ends with a hard break."""
    out, in_code = [], False
    for line in text.split("\n"):
        if line.strip().startswith("```"):
            in_code = not in_code
        out.append(line if in_code or not line.strip() else line + "  ")
    return "\n".join(out)


def render(console: Console, reply: Reply, image_paths: list[Path] | None = None, show_actions: bool = True) -> None:
    """``show_actions``: list the reply's buttons as numbered choices (the console and ``tutor
    quiz`` read the next line; one-shot CLI commands cannot, so they leave them out)."""
    if reply.is_error:
        console.print(f"[bold red]error:[/] {reply.text}", markup=True, highlight=False)
        return
    body = Markdown(chat_markdown(reply.text)) if reply.text else ""
    console.print(Panel(body, title=reply.title or None, title_align="left", border_style="cyan"))
    for table in reply.tables:
        rt = RichTable(title=table.title or None)
        for col in table.columns:
            rt.add_column(col)
        for row in table.rows:
            rt.add_row(*row)
        console.print(rt)
    if reply.sources:
        console.print("[bold]Sources[/]")
        for i, src in enumerate(reply.sources, 1):
            console.print(f"  [{i}] {src.label()}  ({src.topic})", markup=False, highlight=False)
    if reply.actions and show_actions:
        choices = "   ".join(f"[{a.key or i}] {a.label}" for i, a in enumerate(reply.actions, 1))
        console.print(choices, markup=False, highlight=False)
        keys = "".join(f" or {a.key}" for a in reply.actions if a.key)
        console.print(f"type a number{keys} to choose", style="dim")
    footer = reply.extra.get("footer")
    if footer:
        console.print(footer, style="dim", markup=False)
    for path in image_paths or []:
        console.print(f"[green]saved[/] {path}")
