"""A tutor, not an oracle: "Quiz me on this", hints that cost recall, feedback on the specific
mistake, misconceptions in /progress until corrected, /next, and the question of the day.

Everything goes through the command registry (the console and the CLI's path); the Discord
front end's share is tests/learning/test_tutor_discord.py."""

from __future__ import annotations

import calendar
import io
import random
import sqlite3

import pytest
from fsrs import Rating
from rich.console import Console

from bot.commands.knowledge_cmds import with_check
from bot.commands.learning_replies import TopicInfo, check_action, check_action_for, daily_question_reply
from bot.commands.registry import invoke, run_action
from bot.context import DISCORD, Caller
from bot.frontends import cli_quiz
from bot.frontends.console import handle_line, run_console
from bot.learning import daily
from bot.learning.next_step import NEW, REVIEW, WEAK, compute_next_step
from bot.learning.scheduler import rating_for
from bot.learning.store import DailySchedule, LearningStore, NotYourQuiz, QuizExpired, close_stores, store_for
from bot.reply import Reply, Source
from knowledge.passages import passage_for
from knowledge.corpus import load_articles
from knowledge.quiz_bank import article_sections, instantiate, question_by_id
from tools.errors import UserInputError
from tools.migrations import load_migrations

ME = Caller.local()


def _question(reply: Reply, store) -> dict:
    data = reply.data["question"]
    return store.get_session(data["session"]).questions[data["index"]]


def _press(services, reply: Reply, command: str, caller: Caller = ME, index: int | None = None) -> Reply:
    actions = [a for a in reply.actions if a.command == command]
    return run_action(command, actions[0 if index is None else index].payload, services, caller)


def _check(services, topic: str, sections: tuple[str, ...] = (), caller: Caller = ME) -> Reply:
    action = check_action(topic, sections)
    assert action is not None
    return run_action(action.command, action.payload, services, caller)


def _wrong_choice(question: dict) -> int:
    """A wrong option: one with a why_wrong (choice questions), else the next one (numeric)."""
    return next((i for i, why in enumerate(question["why_wrong"]) if why), (question["answer"] + 1) % 4)


# ----------------------------------------------------------------------------- ratings


def test_a_hint_makes_a_right_answer_a_harder_recall_and_the_passage_makes_it_a_lapse():
    assert rating_for(True, 20.0, "choice", hints=0) == Rating.Good
    assert rating_for(True, 3.0, "choice", hints=0) == Rating.Easy
    assert rating_for(True, 3.0, "choice", hints=1) == Rating.Hard  # even when fast
    assert rating_for(True, 20.0, "choice", hints=2) == Rating.Again
    assert rating_for(False, 20.0, "choice", hints=1) == Rating.Again


# ----------------------------------------------------------------------------- Quiz me on this


def test_an_answer_offers_a_check_on_its_cited_section():
    reply = Reply(text="…", sources=(Source("relu", "ReLU", "In practice"), Source("relu", "ReLU", "The math")),
                  data={"abstained": False})
    checked = with_check(reply)
    action = checked.actions[-1]
    assert action.command == "checkme" and action.label.endswith("Quiz me on this")
    headings = article_sections("relu")
    assert action.payload == f"c:relu:{headings.index('In practice')}.{headings.index('The math')}"
    assert with_check(Reply(text="no", data={"abstained": True})).actions == ()
    # a cited note or an unquizzed source falls back to the first topic that has questions
    fallback = check_action_for((Source("note", "Server note: x", ""), Source("focal-loss", "Focal", "Nope")))
    assert fallback is not None and fallback.payload == "c:focal-loss"
    assert check_action_for((Source("note", "Server note: x", ""),)) is None


def test_quiz_me_on_this_asks_one_question_from_the_cited_section(learning_services):
    services = learning_services
    reply = _check(services, "batch-normalization", ("Frequently asked questions",))
    store = store_for(services)
    question = _question(reply, store)
    assert reply.title == "Check yourself: Batch Normalization" and reply.ephemeral
    assert question["section"] == "Frequently asked questions"
    assert [a.command for a in reply.actions] == ["quiz"] * len(question["choices"]) + ["hint"]
    done = _press(services, reply, "quiz", index=question["answer"])
    assert done.data["finished"] and done.data["answer"]["correct"] and "`/next`" in done.text
    assert store.user_totals(0) == (1, 1)  # scheduled and counted like any other answer
    assert [c.question_id for c in store.cards(0)] == [question["id"]]


def test_explain_offers_quiz_me_on_this_in_the_console(learning_services):
    services = learning_services
    out = io.StringIO()
    run_console(services, io.StringIO("/explain relu\n1\n"), Console(file=out, width=100, color_system=None))
    text = out.getvalue()
    assert "[1] 🧠 Quiz me on this" in text and "Check yourself: ReLU and Its Variants" in text
    assert "[h] 💡 Hint" in text


def test_a_bad_check_payload_is_a_one_line_error(learning_services):
    with pytest.raises(QuizExpired, match="no longer valid"):
        run_action("checkme", "c:astrology", learning_services, ME)


# ----------------------------------------------------------------------------- hints


def test_hint_then_passage_then_an_answer_graded_as_reading(learning_services):
    services = learning_services
    store = store_for(services)
    reply = invoke("quiz", services, {"topic": "relu", "count": 2}, ME)
    question = _question(reply, store)
    first = _press(services, reply, "hint")
    assert question["hint"] in first.text and "Hint:" in first.text and first.ephemeral
    assert question["prompt"] in first.text  # the question again, with its buttons
    assert [a.label for a in first.actions if a.command == "hint"] == ["📖 Show the passage"]
    second = _press(services, first, "hint")
    passage = passage_for(question["topic"], question["section"],
                          f"{question['prompt']} {question['choices'][question['answer']]} {question['explanation']}")
    assert "The passage this question tests" in second.text and passage[:60] in second.text
    assert not [a for a in second.actions if a.command == "hint"]  # two steps, then only answers
    graded = _press(services, second, "quiz", index=question["answer"])
    assert graded.data["answer"]["hints"] == 2 and graded.data["answer"]["rating"] == int(Rating.Again)
    assert "reading, not a recall" in graded.text
    # the next question starts without hints, and one hint then a right answer is Hard
    nxt = _question(graded, store)
    hinted = _press(services, graded, "hint")
    right = _press(services, hinted, "quiz", index=nxt["answer"])
    assert right.data["answer"]["hints"] == 1 and right.data["answer"]["rating"] == int(Rating.Hard)


def test_hints_belong_to_the_student_and_to_the_live_question(learning_services):
    services = learning_services
    reply = invoke("quiz", services, {"topic": "relu", "count": 1}, ME)
    with pytest.raises(NotYourQuiz):
        _press(services, reply, "hint", caller=Caller(99, None, "someone"))
    _press(services, reply, "quiz", index=0)
    with pytest.raises(QuizExpired):
        _press(services, reply, "hint")
    with pytest.raises(UserInputError):
        run_action("hint", "h:nothex:0", services, ME)


def test_tutor_quiz_takes_h_for_the_hint_and_again_for_the_passage(learning_services):
    out = io.StringIO()
    score = cli_quiz.run_quiz(learning_services, "relu", 1, stdin=io.StringIO("h\nh\na\n"),
                              console=Console(file=out, width=100, color_system=None))
    text = out.getvalue()
    assert score["hints"] == 2 and score["answered"] == 1
    assert "Hint:" in text and "The passage this question tests" in text and "> h" in text
    assert "Quiz: ReLU and Its Variants — question 1 of 1" in text


# ----------------------------------------------------------------------------- feedback and misconceptions


def test_a_wrong_choice_names_its_misconception_and_quotes_the_correcting_passage(learning_services):
    services = learning_services
    store = store_for(services)
    reply = _check(services, "vanishing-gradient", ("Common misconceptions",))
    question = _question(reply, store)
    wrong = _wrong_choice(question)
    feedback = _press(services, reply, "quiz", index=wrong)
    assert not feedback.data["answer"]["correct"]
    assert f"Why not {'ABCDE'[wrong]}:** {question['why_wrong'][wrong]}" in feedback.text
    assert "From the article" in feedback.text and "\n> " in feedback.text
    assert feedback.data["answer"]["misconception"] == question["why_wrong"][wrong]

    progress = invoke("progress", services, {}, ME)
    assert "Misconceptions to fix** (1)" in progress.text and question["why_wrong"][wrong] in progress.text
    assert progress.data["misconceptions"][0]["question_id"] == question["id"]

    # "Quiz me on this" again brings back the question that was missed; a right answer clears it
    again = _check(services, "vanishing-gradient", ("Common misconceptions",))
    retry = _question(again, store)
    assert retry["id"] == question["id"]
    cleared = _press(services, again, "quiz", index=retry["answer"])
    assert cleared.data["answer"]["cleared"] == 1 and "misconception is now cleared" in cleared.text
    assert "Misconceptions to fix" not in invoke("progress", services, {}, ME).text
    assert store.misconceptions(0) == []


def test_reading_the_passage_before_a_right_answer_does_not_clear_a_misconception(learning_services):
    services = learning_services
    store = store_for(services)
    reply = _check(services, "relu", ("Common misconceptions",))
    question = _question(reply, store)
    _press(services, reply, "quiz", index=_wrong_choice(question))
    again = _check(services, "relu", ("Common misconceptions",))
    assert _question(again, store)["id"] == question["id"]
    read = _press(services, _press(services, _press(services, again, "hint"), "hint"), "quiz",
                  index=_question(again, store)["answer"])
    assert read.data["answer"]["correct"] and read.data["answer"]["cleared"] == 0
    assert [m.question_id for m in store.misconceptions(0)] == [question["id"]]


def test_a_numeric_wrong_answer_gets_the_passage_but_records_no_misconception(learning_services):
    services = learning_services
    store = store_for(services)
    session_reply = invoke("quiz", services, {"topic": "focal-loss", "count": 10}, ME)
    reply = session_reply
    while _question(reply, store)["type"] != "numeric":
        reply = _press(services, reply, "quiz", index=_question(reply, store)["answer"])
    question = _question(reply, store)
    feedback = _press(services, reply, "quiz", index=(question["answer"] + 1) % 4)
    assert "From the article" in feedback.text and "Why not" not in feedback.text
    assert store.misconceptions(0) == []


# ----------------------------------------------------------------------------- /next


def test_next_goes_new_topic_then_weakest_topic_then_due_reviews(learning_services):
    services = learning_services
    store = store_for(services)
    first = invoke("next", services, {}, ME)
    assert first.data["kind"] == NEW and first.data["topic"] == "vanishing-gradient"
    assert first.data["section"] == article_sections("vanishing-gradient")[0]
    assert "`/explain vanishing-gradient`" in first.text and "🧪 See it: `/plot gradient-flow`" in first.text

    reply = _check(services, "relu", ("The math",))
    asked_at = store.get_session(reply.data["session"]).created
    question = _question(reply, store)
    _press(services, reply, "quiz", index=_wrong_choice(question))
    weak = compute_next_step(store, 0, services.articles, now=asked_at + 60)
    assert weak.kind == WEAK and weak.topic == "relu" and weak.section == question["section"]
    text = invoke("next", services, {}, ME).text
    assert "Strengthen ReLU and Its Variants" in text and "`/quiz relu`" in text

    later = compute_next_step(store, 0, services.articles, now=asked_at + 3600)  # the 10-minute relearning step
    assert later.kind == REVIEW and later.due == 1 and later.topic == "relu" and later.section == question["section"]


def test_weakest_topic_is_the_lowest_mean_stability(tmp_path):
    store = LearningStore(tmp_path / "learning.db")
    q_relu, q_bn = question_by_id("relu-dead-unit"), question_by_id("bn-drop-bias")
    for sid, spec, right in (("0000000000a1", q_relu, True), ("0000000000a2", q_bn, False)):
        asked = instantiate(spec, random.Random(1)).to_dict()
        store.create_session(sid, 5, None, "s", "quiz", spec.topic, [asked], now=1000.0)
        store.record_answer(sid, 0, asked["answer"] if right else (asked["answer"] + 1) % 4, 5, now=1010.0)
    step = compute_next_step(store, 5, load_articles(), now=1070.0)
    assert step.kind == WEAK and step.topic == "batch-normalization"  # the wrong answer has the lower stability
    store.close()


# ----------------------------------------------------------------------------- question of the day

ADMIN = Caller(5, 123456789012345678, "ada", True, DISCORD, 223456789012345678)
DAY = "2026-03-02"
NINE = calendar.timegm((2026, 3, 2, 9, 0, 0))


def test_daily_times_parse_or_fail_with_the_accepted_form():
    assert daily.parse_time("9:05") == "09:05" and daily.parse_time(" 23:59 ") == "23:59"
    for bad in ("24:00", "9", "noon", "09:60", ""):
        with pytest.raises(UserInputError, match="expected HH:MM in UTC"):
            daily.parse_time(bad)


def test_a_days_question_is_due_in_its_window_and_skipped_after_it():
    schedule = DailySchedule(1, 2, "09:00", None)
    assert daily.decide(schedule, NINE - 1) == daily.WAIT
    assert daily.decide(schedule, NINE) == daily.POST
    assert daily.decide(schedule, NINE + daily.GRACE_S) == daily.POST
    assert daily.decide(schedule, NINE + daily.GRACE_S + 1) == daily.SKIP
    assert daily.decide(DailySchedule(1, 2, "09:00", DAY), NINE + 60) == daily.WAIT
    assert daily.handled_until("09:00", NINE + 60) == DAY and daily.handled_until("09:00", NINE - 60) is None


def test_admin_daily_sets_the_channel_and_time_and_turns_off(learning_services):
    services = learning_services
    services.clock = lambda: NINE - 3600
    reply = invoke("daily", services, {"time": "9:00", "channel": "<#323456789012345678>"}, ADMIN)
    assert "every day at **09:00 UTC** in <#323456789012345678>, the first one today" in reply.text
    schedule = store_for(services).daily_schedule(ADMIN.guild_id)
    assert schedule == DailySchedule(ADMIN.guild_id, 323456789012345678, "09:00", None)
    here = invoke("daily", services, {"time": "08:00"}, ADMIN)  # after today's 08:00: from tomorrow
    assert "first one tomorrow" in here.text and str(ADMIN.channel_id) in here.text
    with pytest.raises(UserInputError, match="pick one with #"):
        invoke("daily", services, {"time": "09:00", "channel": "general"}, ADMIN)
    with pytest.raises(UserInputError, match="Discord server channel"):
        invoke("daily", services, {"time": "09:00"}, ME)
    off = invoke("daily", services, {"time": "off"}, ADMIN)
    assert "turned off" in off.text and store_for(services).daily_schedule(ADMIN.guild_id) is None


def test_the_daily_question_posts_once_survives_a_restart_and_skips_a_missed_day(learning_services):
    services = learning_services
    store = store_for(services)
    store.set_daily(7, 70, "09:00", None)
    assert daily.due_posts(store, NINE - 60) == []
    due = daily.due_posts(store, NINE + 30)
    assert len(due) == 1 and due[0].post.day == DAY and due[0].schedule.channel_id == 70
    assert daily.due_posts(store, NINE + 90) == []
    close_stores()  # a restart: a new process opens the same file
    store = store_for(services)
    assert daily.due_posts(store, NINE + 120) == [] and len(store.daily_posts(7)) == 1
    # down through the next day's window: skipped, not posted late; the day after posts again
    assert daily.due_posts(store, NINE + 86400 + 2 * 3600) == []
    assert store.daily_schedule(7).last_date == "2026-03-03"
    again = daily.due_posts(store, NINE + 2 * 86400 + 60)
    assert len(again) == 1 and again[0].post.question["id"] != due[0].post.question["id"]


def test_daily_answers_count_on_the_leaderboard_once_per_student(learning_services):
    services = learning_services
    store = store_for(services)
    store.set_daily(ADMIN.guild_id, 70, "09:00", None)
    post = daily.due_posts(store, NINE + 30)[0].post
    message = daily_question_reply(post, {a.slug: TopicInfo(a.slug, a.title) for a in services.articles})
    assert message.title.startswith("Question of the day") and message.actions[-1].command == "dailyhint"
    student = Caller(42, ADMIN.guild_id, "sam", False, DISCORD)
    hint = run_action("dailyhint", message.actions[-1].payload, services, student)
    assert post.question["hint"] in hint.text
    right = post.question["answer"]
    answered = run_action("daily", message.actions[right].payload, services, student)
    assert answered.data["answer"]["correct"] and answered.data["answer"]["rating"] == int(Rating.Hard)
    twice = run_action("daily", message.actions[(right + 1) % 4].payload, services, student)
    assert twice.data["answer"]["already"] and "already answered" in twice.text
    board = invoke("leaderboard", services, {}, student)
    assert board.data["rows"] == [{"rank": 1, "user_id": 42, "name": "sam", "correct": 1, "answered": 1}]
    assert [c.question_id for c in store.cards(42)] == [post.question["id"]]  # in the review queue too


# ----------------------------------------------------------------------------- privacy and schema


def test_forget_me_deletes_misconceptions_and_daily_answers_from_every_table(learning_services):
    services = learning_services
    store = store_for(services)
    student = Caller(42, ADMIN.guild_id, "sam", False, DISCORD)
    reply = _check(services, "relu", ("Common misconceptions",), caller=student)
    _press(services, reply, "quiz", caller=student, index=_wrong_choice(_question(reply, store)))
    store.set_daily(ADMIN.guild_id, 70, "09:00", None)
    post = daily.due_posts(store, NINE + 30)[0].post
    run_action("daily", f"d:{post.id}:{post.question['answer']}", services, student)  # right: no new misconception
    counts = store.user_row_counts(42)
    assert counts["misconceptions"] == 1 and counts["daily_responses"] == 1
    done = invoke("forget-me", services, {"confirm": True}, student)
    assert "noted misconceptions" in done.text and done.data["counts"]["daily_responses"] == 1
    db = sqlite3.connect(store.path)
    tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    with_user = [t for t in tables if any(c[1] == "user_id" for c in db.execute(f"PRAGMA table_info({t})"))]
    assert {"misconceptions", "daily_responses", "answers", "cards", "sessions", "users"} <= set(with_user)
    for table in with_user:
        assert db.execute(f"SELECT COUNT(*) FROM {table} WHERE user_id = 42").fetchone()[0] == 0, table
    db.close()


def test_a_learning_db_from_before_hints_is_migrated_forward_with_its_answers(tmp_path):
    path = tmp_path / "learning.db"
    db = sqlite3.connect(path)
    db.executescript(load_migrations(LearningStore.__init__.__globals__["MIGRATIONS_DIR"])[0].sql)
    db.executescript("""
        CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied REAL NOT NULL);
        INSERT INTO schema_migrations VALUES (1, 'users_sessions_answers_cards', 0);
        INSERT INTO users VALUES (3, 'old', 0);
        INSERT INTO sessions VALUES ('00000000000b', 3, NULL, 'quiz', 'relu', 1, 1, 1, 0, 0, 1);
        INSERT INTO answers (user_id, session_id, position, question_id, topic, correct, rating, elapsed_ms, answered)
            VALUES (3, '00000000000b', 0, 'relu-dead-unit', 'relu', 1, 3, 1000, 0);
    """)
    db.close()
    store = LearningStore(path)
    assert store.schema_version() == 2 and store.user_totals(3) == (1, 1)
    assert store.get_session("00000000000b").hints == 0 and store.misconceptions(3) == []
    store.close()


def test_console_types_h_for_the_hint(learning_services):
    services = learning_services
    reply = handle_line(services, "/quiz relu count:1")
    assert [a.key for a in reply.actions] == ["", "", "", "", "h"]
