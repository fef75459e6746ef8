"""/demo feature-scaling and /demo logistic through the registry and the CLI (in-process)."""

from __future__ import annotations

import json

import pytest

from bot.commands import invoke
from bot.context import Attachment
from bot.frontends.cli import main
from bot.services import Services
from tools.csv_loader import MAX_CSV_BYTES
from tools.errors import UserInputError


def study_csv(n: int = 40) -> bytes:
    lines = ["hours,sleep,passed"] + [f"{i % 11},{6 + i % 3},{int(i % 11 > 4 or i % 7 == 0)}" for i in range(n)]
    return ("\n".join(lines) + "\n").encode()


def assert_one_error_line(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error:"), err
    assert "Traceback" not in err[0]
    return err[0]


# --------------------------------------------------------------------------- registry

def test_feature_scaling_command_reply():
    reply = invoke("demo feature-scaling", Services(), {})
    assert reply.images[0].png.startswith(b"\x89PNG")
    assert {"raw", "scaled", "summary"} <= set(reply.data)
    assert len(reply.tables[0].rows) == 3 and len(reply.text) <= 1500


def test_logistic_command_with_bundled_dataset():
    reply = invoke("demo logistic", Services(), {"dataset": "wine_binary"})
    assert reply.data["dataset"] == "wine_binary"
    assert reply.images[0].png.startswith(b"\x89PNG")
    assert 1 <= len(reply.tables[0].rows) <= 8 and len(reply.text) <= 1500


def test_logistic_command_with_attachment():
    reply = invoke("demo logistic", Services(), {"file": Attachment("study.csv", study_csv()), "target": "passed"})
    assert reply.data["dataset"] == "upload:study.csv"
    assert reply.data["log_loss"] == pytest.approx(reply.data["log_loss_sklearn"], rel=1e-12)


@pytest.mark.parametrize("args", [
    {"dataset": "titanic"},
    {"target": "passed"},
    {"file": Attachment("study.csv", study_csv())},
    {"file": Attachment("study.csv", study_csv()), "target": "grade"},
    {"file": Attachment("big.csv", b"a,y\n" + b"1,0\n" * (MAX_CSV_BYTES // 4 + 1)), "target": "y"},
    {"file": "not an attachment", "target": "y"},
])
def test_logistic_command_bad_input_is_a_user_error(args):
    with pytest.raises(UserInputError) as err:
        invoke("demo logistic", Services(), args)
    assert "\n" not in str(err.value)


# --------------------------------------------------------------------------- CLI

def test_cli_feature_scaling_json(tmp_path, capsys):
    out = tmp_path / "fs.png"
    assert main(["demo", "feature-scaling", "--json", "--out", str(out)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["raw"]["converged"] is False and data["scaled"]["converged"] is True
    assert data["images"] == [str(out)] and out.read_bytes().startswith(b"\x89PNG")


def test_cli_logistic_csv_json(tmp_path, capsys):
    path = tmp_path / "study.csv"
    path.write_bytes(study_csv())
    out = tmp_path / "log.png"
    assert main(["demo", "logistic", "--csv", str(path), "--target", "passed", "--json", "--out", str(out)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["dataset"] == "upload:study.csv" and {c["feature"] for c in data["coefficients"]} == {"hours", "sleep"}
    assert out.read_bytes().startswith(b"\x89PNG")


def test_cli_logistic_text_output(tmp_path, capsys):
    assert main(["demo", "logistic", "--dataset", "iris_binary", "--out", str(tmp_path / "x.png")]) == 0
    assert "odds" in capsys.readouterr().out


@pytest.mark.parametrize("kind", ["missing", "too_big", "not_utf8", "no_target", "target_only", "both",
                                  "bad_dataset", "bad_target", "directory"])
def test_cli_logistic_bad_input_exits_2(kind, tmp_path, capsys):
    path = tmp_path / "data.csv"
    path.write_bytes(study_csv())
    argv = {
        "missing": ["--csv", str(tmp_path / "nope.csv"), "--target", "passed"],
        "too_big": ["--csv", str(tmp_path / "big.csv"), "--target", "passed"],
        "not_utf8": ["--csv", str(tmp_path / "latin.csv"), "--target", "passed"],
        "no_target": ["--csv", str(path)],
        "target_only": ["--target", "passed"],
        "both": ["--csv", str(path), "--target", "passed", "--dataset", "iris_binary"],
        "bad_dataset": ["--dataset", "titanic"],
        "bad_target": ["--csv", str(path), "--target", "grade"],
        "directory": ["--csv", str(tmp_path), "--target", "passed"],
    }[kind]
    with open(tmp_path / "big.csv", "wb") as f:  # sparse: size is checked before reading
        f.truncate(MAX_CSV_BYTES + 1)
    (tmp_path / "latin.csv").write_bytes("passed,größe\n".encode("latin-1") + study_csv())
    assert main(["demo", "logistic", *argv]) == 2
    line = assert_one_error_line(capsys)
    if kind == "bad_target":
        assert "'hours', 'sleep', 'passed'" in line
    if kind == "too_big":
        assert "limit is 5 MB" in line
