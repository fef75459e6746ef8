"""The ``tutor`` command line: scripting, JSON output and the entry points of the front ends.

Contract (scripts rely on it): user errors exit with status 2 and one ``error: …`` line on
stderr; ``--json`` prints exactly one JSON document on stdout. ``tutor demo …`` is generated
from the command specs (:mod:`bot.frontends.cli_demos`); what is written here has a shape of its
own on the command line (a question or ``--batch FILE``) or no slash command at all.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from bot.commands import invoke
from bot.frontends import cli_kb, cli_quiz
from bot.frontends.cli_common import CliUsageError, JsonFlag, emit_json, show_reply, stderr, stdout
from bot.frontends.cli_demos import add_demo_commands, demo_app
from bot.frontends.text_render import render
from bot.services import Services
from bot.settings import get_settings
from knowledge.answerer import LEVELS
from knowledge.query import MAX_QUERY_CHARS
from tools.errors import UserInputError

MAX_BATCH_LINES = 10_000

Level = Enum("Level", {name: name for name in LEVELS}, type=str)  # --level choices, from the answerer

app = typer.Typer(
    name="tutor",
    help="ML study-server tutor: grounded answers from our articles and runnable demos.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
index_app = typer.Typer(help="Build or inspect the retrieval index.", no_args_is_help=True)
app.add_typer(index_app, name="index")
app.add_typer(demo_app, name="demo")  # subcommands are generated only for `tutor demo …`
cli_quiz.register(app)
cli_kb.register(app)


def _services() -> Services:
    return Services(progress=_progress_printer())


def _progress_printer():
    """Index (re)builds can take a while on first use: show progress on stderr."""
    state: dict[str, Any] = {}

    def progress(label: str, done: int, total: int) -> None:
        if state.get("label") != label:
            state["label"] = label
            stderr.print(f"building index: embedding {total} {label}…", style="dim")

    return progress


def _read_batch(path: Path) -> list[str]:
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CliUsageError(f"batch file not found: {path} (expected a text file, one query per line)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CliUsageError(f"cannot read batch file {path}: {exc.__class__.__name__} (expected UTF-8 text)") from None
    lines = [line.strip() for line in raw.splitlines() if line.strip()]
    if not lines:
        raise CliUsageError(f"batch file {path} has no queries (expected one query per line)")
    if len(lines) > MAX_BATCH_LINES:
        raise CliUsageError(f"batch file has {len(lines):,} queries; the limit is {MAX_BATCH_LINES:,}")
    for n, line in enumerate(lines, 1):
        if len(line) > MAX_QUERY_CHARS:
            raise CliUsageError(f"batch line {n} is {len(line):,} characters; the limit is {MAX_QUERY_CHARS:,}")
    return lines


def _answer_each(command: str, field: str, texts: list, extra: dict[str, Any], as_json: bool,
                 batch: bool) -> None:
    """Run ``command`` once per text in one process (one model load). Batch JSON is a list with
    one entry per input line, in order; a single query prints its own JSON document."""
    services = _services()
    replies = [invoke(command, services, {field: text, **extra}) for text in texts]
    if not batch:
        show_reply(replies[0], as_json)
    elif as_json:
        emit_json([r.data for r in replies])
    else:
        for reply in replies:
            render(stdout, reply)


@app.command()
def ask(
    question: Annotated[Optional[str], typer.Argument(help="Your question.")] = None,
    batch: Annotated[Optional[Path], typer.Option("--batch", help="File with one question per line.")] = None,
    level: Annotated[Optional[Level], typer.Option(
        "--level", help="beginner (intuition, no formulas) | standard | deep (the math first); "
                        "default: what the question implies (\"ELI5\" → beginner), else standard.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Answer a question from our articles (extractive, cited; abstains off-topic)."""
    if (question is None) == (batch is None):
        raise CliUsageError('give a QUESTION or --batch FILE, e.g. tutor ask "why does ReLU help?"')
    extra = {"level": level.value} if level is not None else {}
    _answer_each("ask", "question", [question] if batch is None else _read_batch(batch), extra, as_json,
                 batch is not None)


@app.command()
def search(
    query: Annotated[Optional[str], typer.Argument(help="What to look for.")] = None,
    k: Annotated[int, typer.Option("--k", help="Passages to return (1-20).")] = 5,
    batch: Annotated[Optional[Path], typer.Option("--batch", help="File with one query per line.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Show the best-matching passages (hybrid dense + keyword search)."""
    if (query is None) == (batch is None):
        raise CliUsageError('give a QUERY or --batch FILE, e.g. tutor search "otsu threshold"')
    _answer_each("search", "query", [query] if batch is None else _read_batch(batch), {"k": k}, as_json,
                 batch is not None)


@app.command()
def explain(
    topic: Annotated[str, typer.Argument(help="Article slug, e.g. relu.")],
    as_json: JsonFlag = False,
) -> None:
    """Print one of our articles."""
    show_reply(invoke("explain", Services(), {"topic": topic}), as_json)


@app.command()
def roadmap(as_json: JsonFlag = False) -> None:
    """The study path through the topics."""
    show_reply(invoke("roadmap", Services(), {}), as_json)


@app.command("next")
def next_step(as_json: JsonFlag = False) -> None:
    """The one best next step: due reviews, then your weakest topic, then the next new one."""
    show_reply(invoke("next", Services(), {}), as_json)


@index_app.command("build")
def index_build() -> None:
    """(Re)build the index from knowledge/articles (atomic; the old one stays live until done)."""
    from rich.progress import Progress

    from knowledge.embedder import get_embedder
    from knowledge.index_store import build_index

    settings = get_settings()
    services = Services(settings)
    with Progress(console=stderr, transient=True) as bar:
        tasks: dict[str, Any] = {}

        def progress(label: str, done: int, total: int) -> None:
            if label not in tasks:
                tasks[label] = bar.add_task(f"embedding {label}", total=total)
            bar.update(tasks[label], completed=done)

        embedder = get_embedder(settings.embedding_model_dir, threads=os.cpu_count() or 1)  # a batch job
        path = build_index(settings.index_dir, embedder, services.articles_dir, progress)
    manifest = json.loads((path / "manifest.json").read_text())
    stdout.print(
        f"index built: {manifest['chunk_count']} passages, {manifest['sentence_count']} sentences, "
        f"{manifest['build_seconds']:.1f} s → {path}"
    )


@index_app.command("status")
def index_status() -> None:
    """Show the live index's manifest and whether it matches the articles."""
    from knowledge.corpus import corpus_hash
    from knowledge.index_store import IndexUnavailable, read_manifest

    settings = get_settings()
    try:
        manifest = read_manifest(settings.index_dir)
    except IndexUnavailable:
        stdout.print("no index yet: it is built on first use, or run `tutor index build`")
        return
    fresh = manifest.corpus_hash == corpus_hash(Services(settings).articles_dir)
    stdout.print(f"model {manifest.model}, {manifest.chunk_count} passages, corpus hash "
                 f"{manifest.corpus_hash[:12]} ({'up to date' if fresh else 'stale: will rebuild'})")


@app.command()
def console() -> None:
    """Interactive console: the same slash commands as the Discord bot, no token needed."""
    from bot.frontends.console import run_console

    run_console(_services())


@app.command()
def run() -> None:
    """Start the Discord bot when DISCORD_TOKEN is set, otherwise the local console."""
    settings = get_settings()
    if settings.discord_token is None or not settings.discord_token.get_secret_value().strip():
        stderr.print("DISCORD_TOKEN is not set: starting the local console instead (same commands).")
        from bot.frontends.console import run_console

        run_console(_services())
        return
    from bot.frontends.discord_bot import run_bot

    run_bot(settings)


@app.command()
def sync(
    guild: Annotated[Optional[int], typer.Option("--guild", help="Sync to one guild id instead of globally.")] = None,
) -> None:
    """Register the slash commands with Discord (globally, or to one guild), then exit."""
    from bot.frontends.discord_sync import sync_commands

    settings = get_settings()
    if settings.discord_token is None:
        raise CliUsageError("DISCORD_TOKEN is not set: put it in the environment or .env to sync commands")
    count = sync_commands(settings, guild)
    stdout.print(f"synced {count} commands {'to guild ' + str(guild) if guild else 'globally'}")


@app.command("eval")
def evaluate(
    split: Annotated[str, typer.Option("--split", help="dev | test | holdout | all")] = "test",
    questions_file: Annotated[Optional[Path], typer.Option("--file", help="Question file (JSONL).")] = None,
    calibrate: Annotated[bool, typer.Option("--calibrate", help="Pick abstention settings on dev first.")] = False,
    show_failures: Annotated[bool, typer.Option("--failures", help="List the questions that missed.")] = False,
    answers: Annotated[bool, typer.Option(
        "--answers", help="Answer quality on eval/answers.jsonl instead: key facts stated, complete answers, "
                          "abstention on off-topic and same-words questions.")] = False,
    train_abstention: Annotated[bool, typer.Option(
        "--train-abstention", help="Retrain the off-topic classifier on the dev split of every question file "
                                   "and save it to knowledge/data/abstention.json.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Retrieval quality on eval/questions.jsonl: hit@1, hit@3, MRR per topic, abstention
    (``--answers``: answer quality on eval/answers.jsonl)."""
    if train_abstention:
        _train_abstention(as_json)
        return
    from rich.table import Table as RichTable

    from knowledge.answerer import ExtractiveAnswerer
    from knowledge.evaluation import (
        EVAL_FILE, HOLDOUT_FILE, calibrate_abstention, evaluate as run_evaluation, load_questions,
    )

    if split not in {"dev", "test", "holdout", "all"}:
        raise CliUsageError(f"--split must be dev, test, holdout or all (got {split!r})")
    if answers:
        if calibrate:
            raise CliUsageError("--calibrate applies to retrieval only, not to --answers")
        _evaluate_answers(split, questions_file, show_failures, as_json)
        return
    if split == "holdout" and questions_file is None:
        questions_file = HOLDOUT_FILE
    source = questions_file or EVAL_FILE
    if not source.is_file():
        raise CliUsageError(f"question file not found: {source} (expected JSONL with question/topic/split)")
    services = _services()
    answerer = services.answerer
    calibration = None
    if calibrate:
        calibration = calibrate_abstention(services.kb, load_questions(split="dev"))
        answerer = ExtractiveAnswerer(services.kb, calibration["threshold"], calibration["margin"])
    report = run_evaluation(services.kb, answerer, load_questions(source, split=split), split)
    data = report.as_dict()
    if calibration:
        data["calibration"] = calibration
    if as_json:
        emit_json(data)
        return
    table = RichTable(title=f"Retrieval on the {split} split (threshold {answerer.threshold:.3f}, margin {answerer.margin:+.2f})")
    for col in ("topic", "n", "hit@1", "hit@3", "MRR"):
        table.add_column(col, justify="left" if col == "topic" else "right")
    for topic, score in list(data["per_topic"].items()) + [("overall", data["overall"])]:
        table.add_row(topic, str(score["n"]), f"{score['hit@1']:.2f}", f"{score['hit@3']:.2f}", f"{score['mrr']:.2f}")
    stdout.print(table)
    ab = data["abstention"]
    stdout.print(
        f"abstention precision {ab['precision']:.2f}, recall {ab['recall']:.2f} "
        f"({ab['off_topic_total']} off-topic); on-topic answered {ab['on_topic_answered_rate']:.2f}"
    )
    if calibration:
        stdout.print(f"calibrated on dev: threshold {calibration['threshold']:.3f}, margin {calibration['margin']:+.2f}")
    if show_failures:
        for failure in report.failures:
            stdout.print(f"  miss: {failure}", markup=False, highlight=False)


def _train_abstention(as_json: bool) -> None:
    from knowledge.abstention import FEATURES, MODEL_FILE, train
    from knowledge.evaluation import abstention_training_set

    answerer = _services().answerer
    x, on_topic = abstention_training_set(answerer, "dev")
    model = train(x, on_topic, trained_on=f"dev split: {int(on_topic.sum())} on-topic, {int((~on_topic).sum())} off-topic")
    model.save(MODEL_FILE)
    data = {"saved": str(MODEL_FILE), "threshold": model.threshold, "trained_on": model.trained_on,
            "coef": dict(zip(FEATURES, model.coef))}
    if as_json:
        emit_json(data)
        return
    stdout.print(f"saved {MODEL_FILE} ({model.trained_on}); threshold {model.threshold:.3f}")
    for name, weight in data["coef"].items():
        stdout.print(f"  {name:<28} {weight:+.3f}", markup=False, highlight=False)


def _evaluate_answers(split: str, questions_file: Path | None, show_failures: bool, as_json: bool) -> None:
    from rich.table import Table as RichTable

    from knowledge.evaluation import ANSWERS_FILE, evaluate_answers, load_answer_questions

    source = questions_file or ANSWERS_FILE
    if not source.is_file():
        raise CliUsageError(f"question file not found: {source} (expected JSONL with question/topic/split/nuggets)")
    questions = load_answer_questions(source, split)
    if not questions:
        raise CliUsageError(f"no questions in the {split} split of {source}")
    report = evaluate_answers(_services().answerer, questions, split)
    data = report.as_dict()
    if as_json:
        emit_json(data)
        return
    table = RichTable(title=f"Answer quality on the {split} split ({source.name})")
    columns = ("topic", "n", "key facts", "complete", "right article", "answered", "authored")
    for col in columns:
        table.add_column(col, justify="left" if col == "topic" else "right")
    for topic, score in list(data["per_topic"].items()) + [("overall", data["overall"])]:
        table.add_row(topic, str(score["n"]), *(f"{score[key]:.2f}" for key in (
            "nugget_recall", "complete", "right_article_first", "answered", "authored")))
    stdout.print(table)
    stdout.print(f"off-topic abstained {data['off_topic_abstained']:.2f} of {data['off_topic_total']}; "
                 f"same words, other sense {data['trap_abstained']:.2f} of {data['trap_total']}")
    if show_failures:
        for failure in report.failures:
            stdout.print(f"  miss: {failure}", markup=False, highlight=False)


def main(argv: list[str] | None = None) -> int:
    """Entry point: maps user errors to exit 2 with a single ``error:`` line."""
    logging.basicConfig(level=get_settings().log_level.upper(), stream=sys.stderr,
                        format="%(levelname)s %(name)s: %(message)s")
    for noisy in ("sentence_transformers", "transformers", "httpx", "urllib3", "faiss", "bm25s"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    args = sys.argv[1:] if argv is None else list(argv)
    if args[:1] == ["demo"]:
        add_demo_commands()  # imports torch/sklearn/optuna…; not needed for ask/search/explain
    try:
        app(args=args, standalone_mode=False)
    except UserInputError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except typer.Exit as done:
        return done.exit_code
    except typer.Abort:
        print("aborted", file=sys.stderr)
        return 130
    except typer.TyperException as err:  # click usage errors (typer vendors click)
        if type(err).__name__ == "NoArgsIsHelpError":
            ctx = getattr(err, "ctx", None)
            print(ctx.get_help() if ctx else "see tutor --help")
            return 0
        message = err.format_message() if hasattr(err, "format_message") else str(err)
        print(f"error: {' '.join(message.split())} (see tutor --help)", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
