"""``tutor quiz``: an interactive quiz in the terminal, through the same commands as Discord.

The questions come from ``/quiz`` (or ``/review`` with ``--review``); each answer presses the
matching answer button (:func:`bot.commands.registry.run_action`), so grading, FSRS scheduling
and storage are exactly the chat bot's. Answers are read one per line (``A``-``D`` or ``1``-``4``;
``h`` presses the hint button, a second ``h`` shows the passage; ``q`` quits), from the keyboard
or from a pipe::

    printf 'a\\nh\\nc\\nb\\n' | tutor quiz relu --count 3

Wire it into the CLI with ``register(app)``.
"""

from __future__ import annotations

import sys
from typing import Annotated, Any, Optional, TextIO

import typer
from rich.console import Console

from bot.commands.registry import invoke, run_action
from bot.context import Caller
from bot.frontends.text_render import render
from bot.services import Services
from tools.errors import UserInputError

QUIT_WORDS = {"q", "quit", "exit", ":q"}
MAX_BAD_INPUTS = 20


def _choice_index(text: str, options: int) -> int | None:
    """'b', 'B', 'b.', '2' → 1; None if it is not one of the options."""
    token = text.strip().rstrip(".)").lower()
    if len(token) == 1 and "a" <= token <= "z":
        index = ord(token) - ord("a")
    elif token.isdigit():
        index = int(token) - 1
    else:
        return None
    return index if 0 <= index < options else None


def _read_line(stdin: TextIO, console: Console, prompt: str, interactive: bool) -> str | None:
    try:
        if interactive:
            return console.input(prompt)
        line = stdin.readline()
    except (EOFError, KeyboardInterrupt):
        return None
    return None if line == "" else line


def run_quiz(services: Services, topic: str | None = None, count: int = 5, review: bool = False,
             stdin: TextIO | None = None, console: Console | None = None,
             caller: Caller | None = None) -> dict[str, Any]:
    """Run one quiz to the end (or until quit / end of input); returns the score."""
    stdin = stdin or sys.stdin
    console = console or Console()
    caller = caller or Caller.local()
    interactive = stdin.isatty()
    if review:
        reply = invoke("review", services, {}, caller)
    else:
        reply = invoke("quiz", services, {"topic": topic, "count": count}, caller)
    render(console, reply, show_actions=False)
    answered = correct = hints = 0
    bad_inputs = 0
    while reply.actions:
        answers = [a for a in reply.actions if not a.key]  # keyed actions (the hint) are not options
        keyed = {a.key: a for a in reply.actions if a.key}
        letters = "/".join(chr(ord("A") + i) for i in range(len(answers)))
        extra = "".join(f", {k} for {a.label.split(' ', 1)[-1].lower()}" for k, a in keyed.items())
        line = _read_line(stdin, console, f"your answer ({letters}{extra}, q to quit): ", interactive)
        if line is None or line.strip().lower() in QUIT_WORDS:
            console.print("stopped: your answers so far are saved.", style="dim")
            break
        if not interactive:
            console.print(f"[dim]> {line.strip()}[/]", highlight=False)
        token = line.strip().lower()
        index = _choice_index(line, len(answers)) if token not in keyed else None
        if token not in keyed and index is None:
            bad_inputs += 1
            console.print(f"answer with one of {letters} (or 1-{len(answers)}){extra}; q quits", style="yellow")
            if bad_inputs >= MAX_BAD_INPUTS:
                console.print("too many unrecognised answers; stopping", style="yellow")
                break
            continue
        action = keyed[token] if token in keyed else answers[index]  # type: ignore[index]
        try:
            reply = run_action(action.command, action.payload, services, caller)
        except UserInputError as err:  # e.g. the session expired while the terminal sat idle
            console.print(f"[bold red]error:[/] {err}", highlight=False)
            break
        if token in keyed:
            hints += 1
        else:
            answered += 1
            correct += bool(isinstance(reply.data, dict) and reply.data.get("answer", {}).get("correct"))
        render(console, reply, show_actions=False)  # a hint, or the feedback and the next question
    return {"answered": answered, "correct": correct, "hints": hints}


def register(app: typer.Typer) -> None:
    """Add ``tutor quiz`` to a typer app (the ``tutor`` CLI)."""

    @app.command("quiz")
    def quiz(
        topic: Annotated[Optional[str], typer.Argument(help="Topic slug or name, e.g. relu (default: your next "
                                                            "roadmap topic).")] = None,
        count: Annotated[int, typer.Option("--count", "-n", help="How many questions (1-10).")] = 5,
        review: Annotated[bool, typer.Option("--review", help="Review the questions that are due instead.")] = False,
    ) -> None:
        """Quiz yourself in the terminal; answers are scheduled for spaced review like on Discord."""
        if review and topic:
            raise UserInputError("give a TOPIC or --review, not both (e.g. tutor quiz relu, or tutor quiz --review)")
        score = run_quiz(Services(), topic, count, review)
        if score["answered"]:
            Console().print(f"{score['correct']} of {score['answered']} correct. "
                            "`tutor quiz --review` brings back what is due.", highlight=False)
