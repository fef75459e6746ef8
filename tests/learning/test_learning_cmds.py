"""The learning loop end to end through the console front end: /quiz, answer buttons, /review,
/progress, /leaderboard, /forget-me and the /roadmap hook."""

from __future__ import annotations

import calendar
import io
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image as PILImage

from bot.commands.learning_replies import progress_lines
from bot.commands.registry import invoke, run_action
from bot.context import Caller
from bot.frontends.console import handle_line
from bot.learning.progress import streak, week_start
from bot.learning.quiz import start_review
from bot.learning.store import store_for
from knowledge.quiz_bank import load_bank
from tools.errors import UserInputError

EXPIRED = "that question has expired, start a new /quiz"


def _answers(reply):
    """The answer buttons of a reply (the hint button follows them)."""
    return [a for a in reply.actions if a.command == "quiz"]


def _right(reply, store):
    """The payload of the right answer to the reply's current question (looked up in the store)."""
    question = reply.data["question"]
    session = store.get_session(question["session"])
    return question["payloads"][session.questions[question["index"]]["answer"]]


def test_quiz_flow_end_to_end_through_the_console(learning_services):
    services = learning_services
    reply = handle_line(services, "/quiz relu count:3")
    assert not reply.is_error, reply.text
    assert reply.title.startswith("Quiz: ReLU") and "question 1 of 3" in reply.title
    assert len(_answers(reply)) == 4 and [a.command for a in reply.actions[4:]] == ["hint"]
    assert all(a.payload.startswith(f"q:{reply.data['session']}:0:") for a in _answers(reply))
    store = store_for(services)
    sections = set()
    # answer right, wrong, right
    for step, pick_right in enumerate((True, False, True)):
        right = _right(reply, store)
        payload = right if pick_right else next(a.payload for a in _answers(reply) if a.payload != right)
        reply = run_action("quiz", payload, services)
        assert reply.ephemeral and not reply.is_error
        answer = reply.data["answer"]
        assert answer["correct"] is pick_right and answer["index"] == step
        source = reply.sources[0]
        assert source.topic == "relu" and f"“{source.section}”" in reply.text
        assert "/explain relu" in reply.text
        sections.add(source.section)
        if step < 2:
            assert len(_answers(reply)) == 4 and f"question {step + 2} of 3" in reply.text
    assert reply.data["finished"] and not reply.actions
    assert "2 of 3 correct" in reply.text
    assert store.user_totals(0) == (3, 2)

    # a stale button (already answered) and a forged one are rejected with the same line
    for payload in (f"q:{reply.data['answer']['session']}:0:0", "q:0123456789ab:0:1", "nonsense"):
        with pytest.raises(UserInputError, match=EXPIRED):
            run_action("quiz", payload, services)
    with pytest.raises(UserInputError, match="no longer valid"):
        run_action("quiz", "q:../etc/passwd", services)

    progress = handle_line(services, "/progress")
    assert progress.ephemeral and progress.images and progress.images[0].png.startswith(b"\x89PNG")
    width, height = PILImage.open(io.BytesIO(progress.images[0].png)).size
    assert 800 <= width <= 1400 and 400 <= height <= 900
    relu = next(t for t in progress.data["topics"] if t["topic"] == "relu")
    assert relu["answered"] == 3 and relu["correct"] == 2 and relu["learned"] == 2 and relu["seen"] == 3
    assert progress.data["streak_days"] == 1

    lines = progress_lines(services, Caller.local())
    assert lines[0].startswith("**Your progress:**") and any("ReLU" in line for line in lines)


def test_a_wrong_answer_comes_back_in_review(learning_services):
    services = learning_services
    caller = Caller(5, 11, "bo")
    reply = invoke("quiz", services, {"topic": "batch norm", "count": 1}, caller)  # aliases resolve
    store = store_for(services)
    wrong = next(a.payload for a in _answers(reply) if a.payload != _right(reply, store))
    run_action("quiz", wrong, services, caller)
    nothing = invoke("review", services, {}, caller)
    assert nothing.title == "Nothing to review" and "in 10 minutes" in nothing.text
    session = start_review(store, caller, now=time.time() + 11 * 60)
    assert session is not None and session.total == 1
    assert session.questions[0]["id"] == reply.data["question"]["question_id"]


def test_bad_input_gives_one_line_naming_the_accepted_form(learning_services):
    services = learning_services
    unknown = handle_line(services, "/quiz quantum-knitting")
    assert unknown.is_error and "use one of vanishing-gradient" in unknown.text and "\n" not in unknown.text
    for count in ("0", "11", "two"):
        bad = handle_line(services, f"/quiz relu count:{count}")
        assert bad.is_error and "from 1 to 10" in bad.text and "\n" not in bad.text
    with pytest.raises(UserInputError, match="from 1 to 10"):
        from bot.commands.learning_cmds import quiz
        quiz(services, Caller.local(), "relu", 50)


def test_someone_elses_buttons_are_refused(learning_services):
    services = learning_services
    reply = invoke("quiz", services, {"topic": "relu", "count": 2}, Caller(1, 9, "ann"))
    with pytest.raises(UserInputError, match="belongs to someone else"):
        run_action("quiz", reply.actions[0].payload, services, Caller(2, 9, "ben"))
    run_action("quiz", reply.actions[0].payload, services, Caller(1, 9, "ann"))  # still valid for the owner


def test_default_topic_follows_the_roadmap(learning_services):
    reply = invoke("quiz", learning_services, {}, Caller.local())
    assert reply.data["topic"] == "vanishing-gradient" and "Next on your roadmap" in reply.text


def test_weekly_leaderboard_per_guild(learning_services):
    services = learning_services
    store = store_for(services)
    for user, name, right in ((1, "ann", 2), (2, "ben", 0), (3, "cy", 1)):
        caller = Caller(user, 500, name)
        reply = invoke("quiz", services, {"topic": "focal-loss", "count": 2}, caller)
        for i in range(2):
            good = _right(reply, store)
            pick = good if i < right else next(a.payload for a in _answers(reply) if a.payload != good)
            reply = run_action("quiz", pick, services, caller)
    board = invoke("leaderboard", services, {}, Caller(2, 500, "ben"))
    assert [row["name"] for row in board.data["rows"]] == ["ann", "cy", "ben"]
    assert board.data["you"] == {"rank": 3, "correct": 0, "answered": 2}
    assert board.tables[0].rows[0][1] == "ann"
    other = invoke("leaderboard", services, {}, Caller(9, 501, "zed"))
    assert other.data["rows"] == []
    direct = invoke("leaderboard", services, {}, Caller(1, None, "ann"))
    assert "per server" in direct.text and direct.data["you"] == {"answered": 2, "correct": 2}


def test_forget_me_needs_confirmation_then_deletes_everything(learning_services):
    services = learning_services
    caller = Caller(8, 500, "dee")
    reply = invoke("quiz", services, {"topic": "relu", "count": 1}, caller)
    run_action("quiz", _right(reply, store_for(services)), services, caller)  # right: no misconception noted
    ask = handle_line(services, "/forget-me")  # the console user (id 0) has nothing yet
    assert ask.data == {"deleted": False, "would_delete": {"sessions": 0, "answers": 0, "cards": 0, "daily_responses": 0, "misconceptions": 0}}
    ask = invoke("forget-me", services, {}, caller)
    assert not ask.data["deleted"] and "confirm:true" in ask.text and ask.ephemeral
    assert store_for(services).user_row_counts(8) == {"sessions": 1, "answers": 1, "cards": 1, "daily_responses": 0, "misconceptions": 0}
    done = invoke("forget-me", services, {"confirm": "true"}, caller)
    assert done.data["counts"] == {"sessions": 1, "answers": 1, "cards": 1, "daily_responses": 0, "misconceptions": 0, "users": 1}
    assert store_for(services).user_row_counts(8) == {"sessions": 0, "answers": 0, "cards": 0, "daily_responses": 0, "misconceptions": 0}
    assert invoke("leaderboard", services, {}, caller).data["rows"] == []


def test_progress_for_a_new_user_and_helpers(learning_services):
    lines = progress_lines(learning_services, Caller(123, None, "new"))
    assert lines == ["**Your progress:** no quiz answers yet — start with `/quiz vanishing-gradient`."]
    reply = invoke("progress", learning_services, {}, Caller(123, None, "new"))
    assert reply.data["answered"] == 0 and len(reply.data["topics"]) == len(load_bank())
    from datetime import date
    assert streak(["2024-05-03", "2024-05-02", "2024-04-30"], date(2024, 5, 3)) == 2
    assert streak(["2024-05-02", "2024-05-01"], date(2024, 5, 3)) == 2  # today not over yet
    assert streak(["2024-05-01"], date(2024, 5, 3)) == 0
    monday = week_start(calendar.timegm((2024, 5, 8, 12, 0, 0)))
    assert time.strftime("%Y-%m-%d %H:%M", time.gmtime(monday)) == "2024-05-06 00:00"


@pytest.fixture(scope="module")
def shared_services(tmp_path_factory):
    from bot.learning.store import close_stores
    from bot.services import Services
    from bot.settings import Settings

    yield Services(Settings(data_dir=tmp_path_factory.mktemp("fuzz") / "var"))
    close_stores()


@settings(max_examples=200, deadline=None)
@given(payload=st.one_of(st.text(max_size=100),
                         st.from_regex(r"q:[0-9a-f]{12}:[0-9]{1,3}:[0-9]{1,2}", fullmatch=True)))
def test_button_payloads_either_work_or_raise_a_user_error(shared_services, payload):
    try:
        run_action("quiz", payload, shared_services)
    except UserInputError as err:
        assert str(err) in (EXPIRED, "that button is no longer valid")


def test_markdown_in_display_names_is_escaped_on_the_leaderboard(learning_services):
    caller = Caller(31, 600, "**boss** [x](y)")
    reply = invoke("quiz", learning_services, {"topic": "relu", "count": 1}, caller)
    run_action("quiz", reply.actions[0].payload, learning_services, caller)
    board = invoke("leaderboard", learning_services, {}, caller)
    assert r"\*\*boss\*\* \[x\]\(y\)" in board.text and board.tables[0].rows[0][1] == "**boss** [x](y)"


def test_forget_me_also_deletes_the_chat_bot_records(services, tmp_path):
    """Saved /ask answers, 👍/👎 votes and usage rows in tutor.db go too."""
    from bot.commands.registry import invoke
    from bot.context import Caller
    from bot.runtime.storage import Store

    store = Store(services.settings.database_path)
    store.save_answer("feed01", "q", "a", False, [], [], user_id=4242, guild_id=1)
    store.vote("feed01", 4242, 1)
    store.log_usage("ask", "ok", 3.0, 4242, 1)
    store.log_usage("ask", "ok", 3.0, 7, 1)
    store.close()
    reply = invoke("forget-me", services, {"confirm": "true"}, Caller(4242, 1))
    assert reply.data["bot_records"] == {"answers": 1, "votes": 1, "usage": 1}
    store = Store(services.settings.database_path)
    assert store.get_answer("feed01") is None and store.stats()["users"] == 1
    store.close()
