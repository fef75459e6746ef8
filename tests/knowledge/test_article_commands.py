"""Every command an article tells students to run exists and accepts those exact options."""

from __future__ import annotations

import re
import shlex

import pytest

from bot.commands import registry
from bot.commands.registry import bind
from bot.frontends.cli import main
from bot.frontends.console import parse_line
from bot.reply import Reply
from knowledge.corpus import load_articles

TRY_IT = re.compile(r"^## Try it\s*$(.*?)(?=^## |\Z)", re.MULTILINE | re.DOTALL)


def try_it_commands(prefix: str) -> list[tuple[str, str]]:
    found = []
    for article in load_articles():
        match = TRY_IT.search(article.body)
        assert match, f"{article.slug} has no Try it section"
        found += [(article.slug, cmd) for cmd in re.findall(rf"`({prefix}[^`]+)`", match.group(1))]
    return found


@pytest.mark.parametrize(("slug", "line"), try_it_commands("/"))
def test_slash_commands_in_articles_are_valid(slug, line):
    spec, args = parse_line(line)
    bind(spec, args)  # raises UserInputError with the problem if the article is wrong


@pytest.mark.parametrize(("slug", "line"), try_it_commands("tutor "))
def test_cli_commands_in_articles_are_valid(slug, line, monkeypatch, capsys):
    calls = []

    def record(spec, services, kwargs, caller=None, history=()):
        calls.append(spec.name)
        return Reply(text="ok")

    monkeypatch.setattr(registry, "call_handler", record)  # parse and validate, don't compute
    code = main(shlex.split(line)[1:])
    assert code == 0, capsys.readouterr().err
    assert calls, f"{line} ran no command"
