"""``tutor quiz``: the interactive terminal quiz, driven by piped answers."""

from __future__ import annotations

import io

import pytest
import typer
from rich.console import Console
from typer.testing import CliRunner

from bot.frontends import cli_quiz
from bot.learning.store import store_for
from tools.errors import UserInputError


def _console() -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    return Console(file=out, width=100, force_terminal=False), out


def test_piped_answers_run_the_whole_quiz(learning_services):
    console, out = _console()
    score = cli_quiz.run_quiz(learning_services, "relu", 3, stdin=io.StringIO("a\nnot-an-answer\n2\nD\n"),
                              console=console)
    text = out.getvalue()
    assert score["answered"] == 3
    assert "question 1 of 3" in text and "question 3 of 3" in text and "Quiz finished" in text
    assert "answer with one of A/B/C/D" in text
    assert store_for(learning_services).user_totals(0) == (3, score["correct"])


def test_end_of_input_or_q_stops_and_keeps_answers(learning_services):
    console, out = _console()
    score = cli_quiz.run_quiz(learning_services, "focal", 5, stdin=io.StringIO("b\nq\n"), console=console)
    assert score["answered"] == 1 and "answers so far are saved" in out.getvalue()
    score = cli_quiz.run_quiz(learning_services, "focal", 2, stdin=io.StringIO(""), console=_console()[0])
    assert score["answered"] == 0
    assert store_for(learning_services).user_totals(0)[0] == 1


def test_review_mode_with_nothing_due(learning_services):
    console, out = _console()
    assert cli_quiz.run_quiz(learning_services, review=True, stdin=io.StringIO("a\n"), console=console) == \
        {"answered": 0, "correct": 0, "hints": 0}
    assert "Nothing is due" in out.getvalue()


def test_bad_topic_is_a_user_error(learning_services):
    with pytest.raises(UserInputError, match="unknown topic"):
        cli_quiz.run_quiz(learning_services, "astrology", 3, stdin=io.StringIO(""), console=_console()[0])


def test_register_adds_a_quiz_command_to_a_typer_app():
    app = typer.Typer()

    @app.callback()
    def main() -> None:  # a group, like the tutor app
        pass

    cli_quiz.register(app)
    result = CliRunner().invoke(app, ["quiz", "word2vec", "--count", "2"], input="1\n1\n")
    assert result.exit_code == 0, result.output
    assert "question 2 of 2" in result.output and "of 2 correct" in result.output
    result = CliRunner().invoke(app, ["quiz", "relu", "--review"])
    assert isinstance(result.exception, UserInputError)
