import io

import pytest
from rich.console import Console

from bot.frontends.console import handle_line, parse_line, run_console
from tools.errors import UserInputError


def test_parse_free_text_and_named_options():
    spec, args = parse_line("/search otsu threshold k:3")
    assert spec.name == "search" and args == {"query": "otsu threshold", "k": "3"}
    spec, args = parse_line("what's a p:value anyway")  # plain text is /ask; p is not an option
    assert spec.name == "ask" and args == {"question": "what's a p:value anyway"}
    spec, args = parse_line('/explain topic:"batch normalization"')
    assert args == {"topic": "batch normalization"}


def test_unknown_command_and_stray_text_are_user_errors():
    with pytest.raises(UserInputError, match="unknown command"):
        parse_line("/frobnicate now")
    with pytest.raises(UserInputError, match="unexpected text"):
        parse_line("/roadmap please")


def test_handle_line_turns_errors_into_replies(services):
    reply = handle_line(services, "/search k:99 relu")
    assert reply.is_error and "from 1 to 20" in reply.text
    assert handle_line(services, "/explain relu").title.startswith("ReLU")


def test_console_runs_piped_commands(services):
    out = io.StringIO()
    console = Console(file=out, width=100, force_terminal=False)
    run_console(services, stdin=io.StringIO("/help\n/ask why does relu help deep networks\n/explain nope\n"),
                console=console)
    text = out.getvalue()
    assert "/ask" in text and "Sources" in text
    assert "error:" in text and "unknown topic" in text


def test_console_quiz_buttons_are_pressed_by_number(services):
    out = io.StringIO()
    console = Console(file=out, width=100, force_terminal=False)
    run_console(services, stdin=io.StringIO("/quiz relu count:1\n1\n"), console=console)
    text = out.getvalue()
    assert "[1] " in text and "type a number" in text
    assert ("Correct" in text) or ("Not quite" in text)


def test_console_follow_ups_stay_on_the_previous_question(services):
    from bot.llm.conversation import Conversation

    alone = handle_line(services, "how do I fix it?")
    conversation = Conversation()
    handle_line(services, "what is the dying relu problem?", conversation)
    followed = handle_line(services, "how do I fix it?", conversation)
    assert alone.data["abstained"] is True
    assert followed.data["abstained"] is False and followed.data["sources"][0]["topic"] == "relu"
    assert len(conversation) == 2  # both answered turns are remembered


def test_console_ask_takes_a_level(services):
    reply = handle_line(services, "/ask level:beginner what does batch normalization do")
    assert reply.data["level"] == "beginner"
    bad = handle_line(services, "/ask level:expert what does batch normalization do")
    assert bad.is_error and "beginner | standard | deep" in bad.text
