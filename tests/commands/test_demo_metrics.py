"""/metrics confusion-matrix and /metrics pr-curve through the registry and the CLI contract."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.commands import REGISTRY, invoke
from bot.frontends.cli import main
from bot.services import Services
from tools.errors import UserInputError


@pytest.fixture
def in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # default image output goes to ./out
    return tmp_path


def run_cli(argv, capsys) -> tuple[int, str, str]:
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_commands_are_registered_with_discord_names():
    for name in ("metrics confusion-matrix", "metrics pr-curve", "embeddings compare", "embeddings neighbours",
                 "embeddings analogy"):
        assert name in REGISTRY
        assert REGISTRY[name].heavy
    assert REGISTRY["metrics confusion-matrix"].option("matrix").required
    assert REGISTRY["metrics pr-curve"].option("scenario").choices == ("spam", "cancer", "fraud")


def test_confusion_matrix_reply_has_text_table_image_and_data():
    reply = invoke("metrics confusion-matrix", Services(),
                   {"matrix": "[[50,10],[5,35]]", "labels": "cat,dog", "positive": "dog"})
    assert "dog" in reply.text and len(reply.text) <= 1500
    assert reply.images[0].png.startswith(b"\x89PNG")
    table = reply.tables[0]
    assert [row[0] for row in table.rows] == ["cat", "dog", "macro avg", "weighted avg"]
    assert reply.data["per_class"][1]["recall"] == pytest.approx(35 / 40)


def test_confusion_matrix_table_stays_small_for_many_classes():
    n = 30
    rows = "; ".join(" ".join(str(50 if i == j else (i * j) % 4) for j in range(n)) for i in range(n))
    reply = invoke("metrics confusion-matrix", Services(), {"matrix": rows})
    assert len(reply.tables[0].rows) <= 12
    assert len(reply.data["per_class"]) == n
    assert len(reply.text) <= 1500


def test_undefined_metrics_are_listed_in_the_reply():
    reply = invoke("metrics confusion-matrix", Services(), {"matrix": "10 0 0; 3 0 2; 0 0 0"})
    assert "Undefined metrics" in reply.text
    assert reply.data["per_class"][1]["precision"] is None
    assert "n/a" in reply.tables[0].rows[1]


def test_pr_curve_reply():
    reply = invoke("metrics pr-curve", Services(), {"scenario": "CANCER", "seed": "2"})
    assert reply.data["scenario"] == "cancer"
    assert any("chosen" in row[0] and row[0].startswith("high-recall") for row in reply.tables[0].rows)
    assert reply.images[0].png.startswith(b"\x89PNG")


@pytest.mark.parametrize("args", [{"scenario": "email"}, {"seed": "-1"}, {"seed": "abc"}])
def test_pr_curve_bad_options_raise_user_input_error(args):
    with pytest.raises(UserInputError):
        invoke("metrics pr-curve", Services(), args)


def test_cli_confusion_matrix_json(in_tmp, capsys):
    code, out, err = run_cli(["demo", "confusion-matrix", "50 10; 5 35", "--labels", "cat,dog", "--json"], capsys)
    assert code == 0
    data = json.loads(out)
    assert data["accuracy"] == pytest.approx(0.85)
    assert [c["label"] for c in data["per_class"]] == ["cat", "dog"]
    assert Path(data["images"][0]).exists()


def test_cli_confusion_matrix_out_png(in_tmp, capsys):
    target = in_tmp / "plots" / "cm.png"
    code, out, _ = run_cli(["demo", "confusion-matrix", "[[50,10],[5,35]]", "--out", str(target)], capsys)
    assert code == 0 and target.read_bytes().startswith(b"\x89PNG")
    assert "rows = actual" in out


def test_cli_pr_curve_json(in_tmp, capsys):
    code, out, _ = run_cli(["demo", "pr-curve", "--scenario", "spam", "--seed", "1", "--json"], capsys)
    assert code == 0
    data = json.loads(out)
    assert data["scenario"] == "spam" and 0 < data["average_precision"] <= 1
    assert {p["name"] for p in data["operating_points"]} >= {"high-precision", "high-recall"}


@pytest.mark.parametrize("argv", [
    ["[[1,2],[3]]"],  # ragged
    ["1 -2; 3 4"],  # negative
    ["1 2.5; 3 4"],  # non-integer
    ["1 2 3; 4 5 6"],  # not square
    ["; ".join(" ".join("1" for _ in range(51)) for _ in range(51))],  # 51 classes
    ["[[1,2],[3,10000000000]]"],  # > 10^9
    ["[[1,2],[3,4]] and more"],  # trailing text
    [""],  # empty
    ["1 2; 3 4", "--labels", "a,b,c"],  # wrong number of labels
    ["1 2; 3 4", "--labels", "a,a"],  # duplicate labels
    ["1 2; 3 4", "--labels", "a,b", "--positive", "z"],  # unknown positive
    ["1 2; 3 4", "--out", "plot.jpg"],  # --out must be a PNG path
])
def test_cli_confusion_matrix_errors_exit_2_with_one_line(argv, in_tmp, capsys):
    code, out, err = run_cli(["demo", "confusion-matrix", *argv], capsys)
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:"), err
    assert "Traceback" not in err + out


def test_matrix_errors_name_the_accepted_form(in_tmp, capsys):
    code, _, err = run_cli(["demo", "confusion-matrix", "1 2; 3"], capsys)
    assert code == 2 and "[[50,10],[5,35]]" in err and "rows = actual" in err


@pytest.mark.parametrize("argv", [["--scenario", "email"], ["--seed", "-5"], ["--seed", "x"]])
def test_cli_pr_curve_errors_exit_2(argv, in_tmp, capsys):
    code, out, err = run_cli(["demo", "pr-curve", *argv], capsys)
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:")
    assert "Traceback" not in err + out
