"""The `tutor` CLI contract: JSON shapes, batch mode, and one-line errors with exit status 2."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.frontends.cli import main


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line_error(code: int, err: str, *needles: str) -> None:
    assert code == 2
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert "Traceback" not in err
    for needle in needles:
        assert needle in lines[0]


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["ask", ""], "empty question"),
        (["ask", "   "], "empty question"),
        (["ask", "x" * 1001], "1,000"),
        (["search", ""], "empty query"),
        (["search", "relu", "--k", "0"], "from 1 to 20"),
        (["search", "relu", "--k", "abc"], "--k"),
        (["explain", "quantum-chromodynamics"], "unknown topic"),
        (["ask"], "QUESTION or --batch"),
        (["ask", "hi", "--batch", "x.txt"], "QUESTION or --batch"),
        (["search", "--batch", "/nonexistent/queries.txt", "--json"], "not found"),
        (["frobnicate"], "No such command"),
    ],
)
def test_user_errors_exit_2_with_one_line(capsys, services, argv, needle):
    code, out, err = run(capsys, *argv)
    assert_one_line_error(code, err, needle)


def test_search_json_is_a_list_of_hits_best_first(capsys, services):
    code, out, _ = run(capsys, "search", "what is the dying relu problem", "--k", "4", "--json")
    assert code == 0
    hits = json.loads(out)
    assert len(hits) == 4
    assert set(hits[0]) == {"topic", "title", "section", "score", "text"}
    assert hits[0]["topic"] == "relu"
    scores = [h["score"] for h in hits]
    assert scores == sorted(scores, reverse=True)


def test_search_batch_returns_one_hit_list_per_line_in_order(capsys, services, tmp_path):
    queries = tmp_path / "q.txt"
    queries.write_text("otsu threshold\n\nword2vec vs bert for polysemy\nfocal loss gamma\n")
    code, out, _ = run(capsys, "search", "--batch", str(queries), "--k", "2", "--json")
    assert code == 0
    lists = json.loads(out)
    assert [lst[0]["topic"] for lst in lists] == ["image-processing", "word2vec-vs-bert", "focal-loss"]
    assert all(len(lst) == 2 for lst in lists)


def test_ask_json_reports_computed_numbers(capsys, services):
    code, out, _ = run(capsys, "ask", "how do I interpret a logistic regression coefficient of 0.7?", "--json")
    data = json.loads(out)
    assert code == 0 and [c["tool"] for c in data["computed"]] == ["odds-ratio"]
    assert abs(data["computed"][0]["result"]["odds_ratio"] - 2.0137527) < 1e-6 and "2.01" in data["answer"]


def test_ask_json_shape_and_abstention(capsys, services, tmp_path):
    code, out, _ = run(capsys, "ask", "how does batch norm behave at inference time?", "--json")
    data = json.loads(out)
    assert code == 0 and set(data) == {"answer", "abstained", "sources", "generated_by", "fallback", "level",
                                       "computed", "answer_source"}
    assert data["level"] == "standard" and data["computed"] == [] and data["answer_source"] in {"authored", "composed"}
    assert data["abstained"] is False and data["generated_by"] == "extractive" and data["fallback"] is None
    assert data["sources"][0]["topic"] == "batch-normalization"
    assert set(data["sources"][0]) == {"topic", "title", "section"}

    batch = tmp_path / "b.txt"
    batch.write_text("what's the best pizza topping\nwhen should I prefer recall over precision\n")
    code, out, _ = run(capsys, "ask", "--batch", str(batch), "--json")
    answers = json.loads(out)
    assert [a["abstained"] for a in answers] == [True, False]
    assert answers[1]["sources"][0]["topic"] == "precision-recall"


def test_ask_level_reaches_the_answer_and_a_bad_level_is_one_line(capsys, services):
    code, out, _ = run(capsys, "ask", "explain like I'm new: what is batch normalization", "--json")
    assert code == 0 and json.loads(out)["level"] == "beginner"  # implied by the question
    code, out, _ = run(capsys, "ask", "what is batch normalization", "--level", "deep", "--json")
    assert code == 0 and json.loads(out)["level"] == "deep"
    code, out, err = run(capsys, "ask", "what is batch normalization", "--level", "expert")
    assert code == 2 and "--level" in err and "Traceback" not in err


def test_eval_answers_scores_key_facts_and_abstention(capsys, services, tmp_path):
    questions = tmp_path / "answers.jsonl"
    rows = [
        {"question": "how do I interpret a logistic regression coefficient of 0.7?", "topic": "logistic-regression",
         "split": "dev", "nuggets": [["2\\.01"], ["odds"]]},
        {"question": "what does relu stand for?", "topic": "relu", "split": "dev", "nuggets": [["zzzz-never-said"]]},
        {"question": "what batch size should I order for my bakery?", "split": "dev", "trap": True},
    ]
    questions.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    code, out, _ = run(capsys, "eval", "--answers", "--split", "dev", "--file", str(questions), "--json")
    data = json.loads(out)
    assert code == 0 and data["overall"]["n"] == 2
    assert data["overall"]["nugget_recall"] == 0.5 and data["overall"]["complete"] == 0.5
    assert data["trap_total"] == 1 and data["trap_abstained"] == 1.0
    code, out, _ = run(capsys, "eval", "--answers", "--split", "dev", "--file", str(questions))
    assert code == 0 and "key facts" in out and "same words, other sense" in out


def test_explain_and_roadmap(capsys, services):
    code, out, _ = run(capsys, "explain", "bn", "--json")
    assert code == 0 and json.loads(out)["topic"] == "batch-normalization"
    code, out, _ = run(capsys, "roadmap", "--json")
    topics = [row["topic"] for row in json.loads(out)]
    assert topics[:4] == ["vanishing-gradient", "batch-normalization", "relu", "internal-covariate-shift"]


def test_installed_console_script_end_to_end(tmp_path, services):
    """The real `tutor` entry point in a subprocess: exit codes and stderr as a script sees them."""
    tutor = Path(sys.executable).parent / "tutor"
    env = {**os.environ}
    ok = subprocess.run([str(tutor), "search", "clahe", "--k", "1", "--json"], capture_output=True, text=True,
                        env=env, timeout=120)
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)[0]["topic"] == "image-processing"
    bad = subprocess.run([str(tutor), "explain", "nope"], capture_output=True, text=True, env=env, timeout=120)
    assert bad.returncode == 2
    assert bad.stderr.strip().startswith("error: unknown topic") and "\n" not in bad.stderr.strip()


def test_eval_train_abstention_fits_on_dev_and_saves_a_loadable_model(capsys, services, tmp_path, monkeypatch):
    import knowledge.abstention as abstention

    target = tmp_path / "abstention.json"
    monkeypatch.setattr(abstention, "MODEL_FILE", target)
    code, out, _ = run(capsys, "eval", "--train-abstention", "--json")
    data = json.loads(out)
    assert code == 0 and data["saved"] == str(target) and "dev split" in data["trained_on"]
    model = abstention.AbstentionModel.load(target)
    assert model is not None and model.features == abstention.FEATURES
    assert data["coef"]["dense"] > 0 and data["coef"]["uncovered_gap"] < 0  # evidence points the right way
