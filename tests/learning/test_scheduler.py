"""FSRS scheduling: correctness and answer time decide when a question comes back."""

from __future__ import annotations

from fsrs import Rating, State

from bot.learning.scheduler import IDLE_AFTER_S, describe_interval, rating_for, review

NOW = 1_750_000_000.0
DAY = 86400.0


def test_a_card_answered_correctly_is_due_later_than_one_answered_wrong():
    right = review(None, rating_for(True, 20.0, "choice"), NOW, 20.0)
    wrong = review(None, rating_for(False, 20.0, "choice"), NOW, 20.0)
    assert right.due > wrong.due
    assert right.due - NOW >= DAY  # graduated: back in days
    assert wrong.due - NOW <= 15 * 60  # relearn within minutes
    assert right.learned and not wrong.learned


def test_the_same_holds_for_a_card_already_in_review():
    card = review(None, Rating.Good, NOW)
    later = card.due + 60
    kept = review(card, rating_for(True, 20.0), later)
    lapsed = review(card, rating_for(False, 20.0), later)
    assert kept.due > lapsed.due
    assert kept.state == State.Review and lapsed.state == State.Relearning
    assert lapsed.lapses == 1 and kept.lapses == 0 and kept.reps == 2


def test_intervals_grow_with_each_successful_review():
    card = review(None, Rating.Good, NOW)
    gaps = []
    at = NOW
    for _ in range(4):
        gaps.append(card.due - at)
        at = card.due
        card = review(card, Rating.Good, at)
    assert gaps == sorted(gaps) and gaps[-1] > 3 * gaps[0]


def test_ratings_come_from_correctness_and_answer_time():
    assert rating_for(False, 1.0) == Rating.Again
    assert rating_for(True, 3.0, "choice") == Rating.Easy
    assert rating_for(True, 20.0, "choice") == Rating.Good
    assert rating_for(True, 20.0, "numeric") == Rating.Easy  # a calculation may take longer
    assert rating_for(True, 120.0, "choice") == Rating.Hard
    assert rating_for(True, IDLE_AFTER_S + 1, "choice") == Rating.Good  # walked away: time says nothing
    fast = review(None, rating_for(True, 3.0), NOW)
    normal = review(None, rating_for(True, 20.0), NOW)
    assert fast.due > normal.due


def test_interval_descriptions():
    assert describe_interval(30) == "in a minute"
    assert describe_interval(600) == "in 10 minutes"
    assert describe_interval(3 * DAY) == "in 3 days"
    assert describe_interval(-5) == "in a minute"
