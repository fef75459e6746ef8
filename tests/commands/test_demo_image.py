"""/image and ``tutor demo image``: wiring, PNGs, JSON and the CLI error contract."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
from PIL import Image
from skimage import data, filters

from bot.commands import invoke
from bot.commands.registry import resolve
from bot.context import Attachment
from bot.frontends.cli import main
from bot.services import Services
from tools.image_loader import MAX_IMAGE_BYTES
from tools.image_ops import OPS


def png_bytes(array: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(array).save(buf, "PNG")
    return buf.getvalue()


@pytest.fixture(scope="module")
def services() -> Services:
    return Services()


@pytest.mark.parametrize("op", OPS)
def test_every_op_replies_with_a_png_a_table_and_json(op, services):
    reply = invoke("image", services, {"op": op})
    png = reply.images[0].png
    assert png.startswith(b"\x89PNG")
    with Image.open(io.BytesIO(png)) as img:
        assert 900 <= img.width <= 1600 and 500 <= img.height <= 1900
    assert reply.images[0].description
    assert 1 <= len(reply.tables[0].rows) <= 12
    assert set(reply.data) == {"op", "width", "height", "stats", "summary"}
    assert reply.data["op"] == op
    assert len(reply.text) <= 1500


def test_command_is_heavy_and_takes_an_attachment():
    spec = resolve("image")
    assert spec.heavy
    assert spec.option("attachment").type is Attachment
    assert spec.option("op").required


def test_attachment_is_processed_instead_of_the_sample(services):
    coins = data.coins()
    reply = invoke("image", services, {"op": "threshold", "attachment": Attachment("coins.png", png_bytes(coins))})
    assert reply.data["width"] == 384 and reply.data["height"] == 303
    assert reply.data["stats"]["otsu_threshold"] == pytest.approx(filters.threshold_otsu(coins / 255.0), abs=1e-4)
    assert "coins.png" in reply.text


def test_sample_choice_is_used(services):
    reply = invoke("image", services, {"op": "edges", "sample": "coffee"})
    assert (reply.data["width"], reply.data["height"]) == (600, 400)


@pytest.mark.parametrize("args, message", [
    ({"op": "posterize"}, "not one of"),
    ({}, "needs op"),
    ({"op": "blur", "sample": "lena"}, "not one of"),
    ({"op": "blur", "attachment": "not an attachment"}, "file attachment"),
    ({"op": "blur", "attachment": Attachment("notes.png", b"hello, world")}, "not a PNG"),
    ({"op": "blur", "attachment": Attachment("a.png", png_bytes(data.camera())), "sample": "moon"}, "not both"),
])
def test_bad_command_input_raises_one_line_user_errors(args, message, services):
    from tools.errors import UserInputError

    with pytest.raises(UserInputError, match=message) as err:
        invoke("image", services, args)
    assert "\n" not in str(err.value)


# ------------------------------------------------------------------ CLI


def run_cli(args: list[str], capsys) -> tuple[int, str, str]:
    code = main(["demo", "image", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_cli_json_for_a_user_file(tmp_path, capsys):
    path = tmp_path / "coins.jpg"  # PNG content under a .jpg name: the content decides
    path.write_bytes(png_bytes(data.coins()))
    out = tmp_path / "result.png"
    code, stdout, stderr = run_cli([str(path), "--op", "threshold", "--json", "--out", str(out)], capsys)
    assert code == 0, stderr
    payload = json.loads(stdout)
    assert set(payload) == {"op", "width", "height", "stats", "summary", "images"}
    assert payload["images"] == [str(out)] and out.read_bytes().startswith(b"\x89PNG")
    assert payload["stats"]["otsu_threshold"] == pytest.approx(filters.threshold_otsu(data.coins() / 255.0),
                                                               abs=1e-4)


def test_cli_sample_text_output(tmp_path, capsys):
    out = tmp_path / "edges.png"
    code, stdout, stderr = run_cli(["--op", "edges", "--sample", "camera", "--out", str(out)], capsys)
    assert code == 0, stderr
    assert "Sobel" in stdout and out.exists()


def make_text_png(tmp_path):
    path = tmp_path / "notes.png"
    path.write_text("this is not an image\n" * 5)
    return path


def make_oversized(tmp_path):
    path = tmp_path / "huge.png"
    with path.open("wb") as handle:  # sparse: instant, no 10 MB written
        handle.truncate(MAX_IMAGE_BYTES + 1)
    return path


def make_bomb(tmp_path):
    import struct
    import zlib

    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    path = tmp_path / "bomb.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 30000, 30000, 8, 2, 0, 0, 0))
                     + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b""))
    return path


@pytest.mark.parametrize("make, extra, fragment", [
    (None, ["--op", "posterize"], "not one of"),
    (None, [], "--op"),
    (None, ["--op", "blur", "--sample", "lena"], "not one of"),
    (lambda tmp: tmp / "missing.png", ["--op", "blur"], "not found"),
    (lambda tmp: tmp, ["--op", "blur"], "is not a file"),  # a directory
    (make_text_png, ["--op", "blur"], "not a PNG"),
    (make_oversized, ["--op", "blur"], "10 MB"),
    (make_bomb, ["--op", "blur"], "megapixels"),
    (lambda tmp: tmp / "x.png", ["--op", "blur", "--bogus"], "bogus"),
])
def test_cli_errors_exit_2_with_a_single_error_line(make, extra, fragment, tmp_path, capsys):
    args = ([str(make(tmp_path))] if make else []) + extra
    code, stdout, stderr = run_cli(args, capsys)
    lines = stderr.strip().splitlines()
    assert code == 2, stderr
    assert len(lines) == 1 and lines[0].startswith("error:") and fragment in lines[0]
    assert "Traceback" not in stderr and stdout == ""
