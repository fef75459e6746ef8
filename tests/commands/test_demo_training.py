"""/plot gradient-flow, /demo activations, /demo batchnorm: registry wiring and the CLI contract."""

from __future__ import annotations

import io
import json

import pytest
from PIL import Image

from bot.commands import REGISTRY, invoke
from bot.frontends import cli, cli_common
from bot.services import Services
from tools.errors import UserInputError


@pytest.fixture
def out_dir(tmp_path, monkeypatch):
    """Images the CLI saves without --out land in a temporary directory, not the project."""
    settings = cli_common.get_settings().model_copy(update={"output_dir": tmp_path / "out"})
    monkeypatch.setattr(cli_common, "get_settings", lambda: settings)
    return tmp_path


def _is_png(data: bytes) -> bool:
    with Image.open(io.BytesIO(data)) as img:
        return data.startswith(b"\x89PNG") and img.width >= 800


def _run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_commands_are_registered_as_heavy():
    for name in ("plot gradient-flow", "demo activations", "demo batchnorm"):
        assert name in REGISTRY and REGISTRY[name].heavy


def test_gradient_flow_reply_from_console_style_text_options():
    reply = invoke("plot gradient-flow", Services(),
                   {"depth": "30", "width": "16", "activation": "Tanh", "batchnorm": "true", "compare": "yes"})
    assert reply.data["compare"] and len(reply.data["layers"]) == 30
    assert len(reply.images) == 1 and _is_png(reply.images[0].png)
    assert all(len(t.rows) <= 12 for t in reply.tables)
    assert reply.tables[0].rows[0][0] == "1" and reply.tables[0].rows[-1][0] == "30"
    assert len(reply.text) <= 1500


def test_gradient_flow_defaults_match_the_issue():
    reply = invoke("plot gradient-flow", Services(), {})
    assert len(reply.data["layers"]) == 10 and "width 64" in reply.text and "sigmoid" in reply.text


@pytest.mark.parametrize("args", [
    {"depth": "0"}, {"depth": "101"}, {"width": "1025"}, {"activation": "swish"}, {"init": "he"},
    {"seed": "-3"}, {"depth": "ten"}, {"batchnorm": "maybe"}, {"depth": "100", "width": "1024"},
])
def test_gradient_flow_bad_options_raise_user_error(args):
    with pytest.raises(UserInputError):
        invoke("plot gradient-flow", Services(), args)


def test_activations_reply():
    reply = invoke("demo activations", Services(), {})
    assert reply.data["max_derivative"]["sigmoid"] == pytest.approx(0.25)
    assert _is_png(reply.images[0].png) and len(reply.tables[0].rows) == 5


def test_batchnorm_reply_has_two_charts_and_a_comparison_table():
    reply = invoke("demo batchnorm", Services(), {"steps": "10", "seed": "1"})
    assert [i.filename for i in reply.images] == ["batchnorm-loss.png", "batchnorm-layers.png"]
    assert all(_is_png(i.png) for i in reply.images)
    assert reply.tables[0].columns == ("", "without BN", "with BN")
    assert set(reply.data) >= {"with_bn", "without_bn", "summary"} and len(reply.text) <= 1500


@pytest.mark.parametrize("argv", [
    ("demo", "gradient-flow", "--depth", "500"),
    ("demo", "gradient-flow", "--width", "0"),
    ("demo", "gradient-flow", "--width", "2000"),
    ("demo", "gradient-flow", "--depth", "abc"),
    ("demo", "gradient-flow", "--activation", "swish"),
    ("demo", "gradient-flow", "--init", "he"),
    ("demo", "gradient-flow", "--depth", "100", "--width", "1024"),
    ("demo", "gradient-flow", "--bogus"),
    ("demo", "batchnorm", "--steps", "5"),
    ("demo", "batchnorm", "--steps", "1001"),
    ("demo", "batchnorm", "--seed", "-1"),
    ("demo", "activations", "--depth", "3"),
])
def test_cli_bad_input_exits_2_with_one_error_line(capsys, out_dir, argv):
    code, out, err = _run_cli(capsys, *argv)
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:")
    assert "Traceback" not in err and out == ""


def test_cli_gradient_flow_json_and_out(capsys, out_dir):
    png = out_dir / "flow.png"
    code, out, err = _run_cli(capsys, "demo", "gradient-flow", "--depth", "4", "--width", "8",
                              "--activation", "relu", "--init", "kaiming", "--batchnorm", "--seed", "5",
                              "--compare", "--json", "--out", str(png))
    assert code == 0, err
    data = json.loads(out)
    assert set(data) == {"layers", "first_over_last", "summary", "images", "compare"}
    assert [row["layer"] for row in data["layers"]] == [1, 2, 3, 4]
    assert data["first_over_last"] == pytest.approx(data["layers"][0]["grad_norm"] / data["layers"][-1]["grad_norm"])
    assert data["images"] == [str(png)] and _is_png(png.read_bytes())
    assert len(data["compare"]) == 5  # the roadmap's four plus the user's own set-up


def test_cli_activations_json(capsys, out_dir):
    code, out, err = _run_cli(capsys, "demo", "activations", "--json", "--out", str(out_dir / "act.png"))
    assert code == 0, err
    data = json.loads(out)
    assert data["max_derivative"]["tanh"] == pytest.approx(1.0)
    assert data["images"] == [str(out_dir / "act.png")]


def test_cli_batchnorm_json_saves_both_charts(capsys, out_dir):
    first = out_dir / "bn.png"
    code, out, err = _run_cli(capsys, "demo", "batchnorm", "--steps", "10", "--seed", "2", "--json",
                              "--out", str(first))
    assert code == 0, err
    data = json.loads(out)
    assert data["images"][0] == str(first) and len(data["images"]) == 2
    assert all(_is_png(open(p, "rb").read()) for p in data["images"])
    for key in ("with_bn", "without_bn"):
        assert {"final_loss", "accuracy"} <= set(data[key])


def test_cli_text_mode_prints_summary(capsys, out_dir):
    code, out, err = _run_cli(capsys, "demo", "gradient-flow", "--depth", "3", "--width", "4",
                              "--out", str(out_dir / "g.png"))
    assert code == 0, err
    assert "Gradient flow" in out and "saved" in out
