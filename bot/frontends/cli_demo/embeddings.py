"""``tutor demo embeddings``: compare a word in two sentences, or GloVe neighbours / analogies."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from bot.frontends.cli_demo import demo_app, run_demo
from bot.frontends.cli_demo.metrics import JsonFlag, OutPath, check_out
from tools.embeddings import MAX_K, MIN_K
from tools.errors import UserInputError

USAGE = ('expected one of: --word W --sentence S1 --sentence S2 | --neighbours WORD [--k N] | '
         '--analogy "a - b + c"')


@demo_app.command("embeddings")
def embeddings(
    word: Annotated[Optional[str], typer.Option("--word", help="Word to compare across the two sentences.")] = None,
    sentence: Annotated[Optional[list[str]], typer.Option(
        "--sentence", help="A sentence containing --word (give exactly two).")] = None,
    neighbours: Annotated[Optional[str], typer.Option(
        "--neighbours", help="Show the nearest GloVe words to this word.")] = None,
    k: Annotated[Optional[int], typer.Option(
        "--k", help=f"Number of neighbours ({MIN_K}-{MAX_K}, default 10).")] = None,
    analogy: Annotated[Optional[str], typer.Option(
        "--analogy", help='Word arithmetic in the form "a - b + c", e.g. "king - man + woman".')] = None,
    as_json: JsonFlag = False,
    out: OutPath = None,
) -> None:
    """Static (GloVe) vs contextual (MiniLM) word embeddings; GloVe neighbours and analogies.

    The same word in two sentences gets one GloVe vector but two different MiniLM vectors.
    """
    comparing = word is not None or bool(sentence)
    modes = sum((comparing, neighbours is not None, analogy is not None))
    if modes != 1:
        raise UserInputError(f"choose exactly one demo; {USAGE}")
    if k is not None and neighbours is None:
        raise UserInputError(f"--k only goes with --neighbours; {USAGE}")
    out = check_out(out)
    if neighbours is not None:
        run_demo("embeddings neighbours", {"word": neighbours, "k": 10 if k is None else k}, as_json, out)
    elif analogy is not None:
        run_demo("embeddings analogy", {"expression": analogy}, as_json, out)
    else:
        if word is None or len(sentence or []) != 2:
            raise UserInputError(f"comparing needs --word and exactly two --sentence options "
                                 f"(got {len(sentence or [])}); {USAGE}")
        run_demo("embeddings compare", {"word": word, "sentence1": sentence[0], "sentence2": sentence[1]},
                 as_json, out)
