"""From a model's raw text to an answer a student may see — or the reason it may not.

:func:`check_answer` runs the checks of issue 14 in order:

1. reasoning blocks are stripped and tool calls written as text removed
   (:mod:`bot.llm.scaffolding`);
2. any scaffolding left (our markers, role labels, echoed instructions) → fallback
   ``"scaffolding"``;
3. every sentence is verified against the evidence it cites (:mod:`bot.llm.verify`): the prompt's
   excerpts with their whole passages, and the output of each demo the model ran; an answer that
   is not useful after that → fallback ``"unverified"``;
4. the surviving citations are renumbered 1, 2, … in order of first use
   (:func:`bot.llm.citations.verify_citations`), so [n] matches the Sources list.

Heavy enough to run in a worker thread (it encodes the answer's sentences with MiniLM).
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from bot.llm.citations import CitationReport, verify_citations
from bot.llm.evidence import SentenceBank, heading_of
from bot.llm.prompt import Prompt
from bot.llm.scaffolding import EchoCheck, find_scaffolding, parse_text_tool_calls, strip_reasoning
from bot.llm.verify import Evidence, Verification, make_evidence, verify_answer
from knowledge.answerer import Citation
from knowledge.chunking import Chunk, split_sentences

DEMO_TOPIC = "demo"


@dataclass(frozen=True)
class ToolOutput:
    """A demo the model ran, as evidence it may cite as [number]."""

    number: int
    command: str
    summary: str
    data: Any = None

    def chunk(self) -> Chunk:
        return Chunk(-1000 - self.number, DEMO_TOPIC, f"Demo: /{self.command}", "run for this answer", self.summary)

    def data_text(self) -> str:
        try:
            return json.dumps(self.data, default=str)
        except (TypeError, ValueError):
            return str(self.data)


@dataclass(frozen=True)
class Checked:
    """The outcome: ``fallback`` is "" (show ``text`` with ``citations``), "scaffolding" or "unverified"."""

    text: str
    citations: list[Citation]
    fallback: str = ""
    problem: str = ""  # what was wrong, for the log
    verification: Verification | None = None
    report: CitationReport | None = None


def passage_evidence(prompt: Prompt, bank: SentenceBank) -> list[Evidence]:
    """Evidence for passage i + 1: what the prompt showed of it, its heading, and the whole passage."""
    out = []
    shown = prompt.excerpts or ((),) * len(prompt.passages)
    for i, (chunk, excerpt) in enumerate(zip(prompt.passages, shown), 1):
        sentences, vectors = bank.chunk_sentences(chunk)
        extra = [s for s in (heading_of(chunk), *excerpt) if s not in sentences]
        if extra:
            sentences = list(sentences) + extra
            vectors = np.vstack([vectors, bank.encode(extra)]) if len(vectors) else bank.encode(extra)
        out.append(make_evidence(i, sentences, vectors, f"{chunk.title} {chunk.section}"))
    return out


def tool_evidence(outputs: Sequence[ToolOutput], bank: SentenceBank) -> list[Evidence]:
    out = []
    for output in outputs:
        sentences = split_sentences(output.summary) or [output.summary or output.command]
        out.append(make_evidence(output.number, sentences, bank.encode(sentences), output.data_text(), kind="tool"))
    return out


def check_answer(question: str, prompt: Prompt, raw: str, bank: SentenceBank,
                 tool_outputs: Sequence[ToolOutput] = (), known_tools: Collection[str] = ()) -> Checked:
    """See the module docstring. ``raw``: the model's text over all rounds, as it came."""
    text = strip_reasoning(raw).strip()
    if known_tools:
        _, text = parse_text_tool_calls(text, known_tools)
    found = find_scaffolding(text, EchoCheck(prompt.instructions()), prompt.nonce)
    if found:
        return Checked("", [], "scaffolding", f"the answer contained {found}")
    evidence = passage_evidence(prompt, bank) + tool_evidence(tool_outputs, bank)
    verification = verify_answer(text, evidence, bank.encode, question=question)
    if not verification.useful:
        return Checked("", [], "unverified", verification.problem, verification)
    chunks = [*prompt.passages, *(o.chunk() for o in tool_outputs)]
    numbers = [*range(1, len(prompt.passages) + 1), *(o.number for o in tool_outputs)]
    by_position = dict(zip(numbers, chunks))
    # verify_citations numbers passages by position: tool numbers follow the passages directly.
    texts = [f"{c.title} {c.section} {c.text}" for c in chunks]
    report = verify_citations(verification.text, texts, check_support=False)
    citations = [Citation(i + 1, by_position[n]) for i, n in enumerate(report.cited)]
    return Checked(report.text, citations, verification=verification, report=report)
