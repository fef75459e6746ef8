"""Check the [n] citations of a generated answer against the passages the model was given.

Every citation group (``[2]``, ``[1, 3]``, ``[1][2]``) is checked:

* a number that is not one of the supplied passages (``[7]`` when 5 were given) is removed;
* a citation whose claim shares no content word with the cited passage (a sentence about Paris
  citing a passage on focal loss) is removed as unsupported — only for claims with enough
  content words to judge, so short or paraphrased sentences are not punished;
* the kept passages are renumbered 1, 2, … in order of first citation, so the answer's [n]
  match the Sources list exactly like the extractive answers do.

:class:`CitationRewriter` applies the range check and the renumbering to a token stream, so
what Discord shows while the answer streams already matches the final text in most cases.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

CITATION_RE = re.compile(r"\[(\d{1,3}(?:\s*[,;]\s*\d{1,3})*)\]")
_PARTIAL_RE = re.compile(r"\[[\d,;\s]{0,16}")  # could still become a citation group
_WORD_RE = re.compile(r"[a-z][a-z0-9-]{3,}")
_ORPHAN_SPACE_RE = re.compile(r"[ \t]+([.,;:!?)])")
STEM_CHARS = 6
MIN_CLAIM_WORDS = 4  # judge support only for claims with at least this many content words

STOPWORDS = frozenset("""
about above after again against also although among another anything around because been before
being below between both cannot could does doing down during each either else even every from
further have having here hers herself himself into itself just least less like made make makes
many might more most much must neither never only other otherwise ought ours ourselves over
perhaps rather really same shall should since some such than that their theirs them themselves
then there therefore these they this those though through thus together under until upon very
what whatever when where whereas whether which while whom whose will with within without would
your yours yourself yourselves answer passage passages question article articles example
""".split())


def _numbers(group: str) -> list[int]:
    return [int(n) for n in re.split(r"\s*[,;]\s*", group.strip()) if n]


def _format(numbers: Sequence[int]) -> str:
    return "".join(f"[{n}]" for n in numbers)


def strip_citations(text: str) -> str:
    """The text without [n] markers (for remembering a turn or measuring words)."""
    return _ORPHAN_SPACE_RE.sub(r"\1", CITATION_RE.sub("", text)).replace("  ", " ").strip()


def content_stems(text: str) -> set[str]:
    return {w[:STEM_CHARS] for w in _WORD_RE.findall(text.lower()) if w not in STOPWORDS}


@dataclass(frozen=True)
class CitationReport:
    """The checked answer. ``cited`` lists original passage numbers: ``cited[i]`` is now ``[i+1]``."""

    text: str
    cited: tuple[int, ...]
    out_of_range: tuple[int, ...] = ()
    unsupported: tuple[int, ...] = ()
    groups_seen: int = 0

    @property
    def removed(self) -> tuple[int, ...]:
        return tuple(sorted(set(self.out_of_range) | set(self.unsupported)))

    @property
    def flagged(self) -> bool:
        return bool(self.out_of_range or self.unsupported)

    def as_dict(self) -> dict[str, object]:
        return {"cited": list(self.cited), "out_of_range": list(self.out_of_range),
                "unsupported": list(self.unsupported)}


def verify_citations(text: str, passages: Sequence[str], check_support: bool = True) -> CitationReport:
    """Drop citations that do not refer to a supplied passage (or do not support their claim)
    and renumber the rest; ``passages[i]`` is passage ``i + 1`` of the prompt."""
    n = len(passages)
    stems = [content_stems(p) for p in passages]
    mapping: dict[int, int] = {}
    out_of_range: list[int] = []
    unsupported: list[int] = []
    pieces: list[str] = []
    last_end = 0
    claim = ""
    groups = 0
    for match in CITATION_RE.finditer(text):
        groups += 1
        between = text[last_end:match.start()]
        if re.search(r"[A-Za-z0-9]", between):
            claim = between  # citations right after other citations share the earlier claim
        claim_stems = content_stems(claim)
        kept: list[int] = []
        for number in _numbers(match.group(1)):
            if not 1 <= number <= n:
                out_of_range.append(number)
                continue
            if check_support and len(claim_stems) >= MIN_CLAIM_WORDS and not (claim_stems & stems[number - 1]):
                unsupported.append(number)
                continue
            if number not in kept:
                kept.append(number)
        for number in kept:
            mapping.setdefault(number, len(mapping) + 1)
        replacement = _format([mapping[k] for k in kept])
        if not replacement:
            between = between.rstrip(" \t")  # no orphan space before the dropped marker
        pieces.append(between)
        pieces.append(replacement)
        last_end = match.end()
    pieces.append(text[last_end:])
    cleaned = _ORPHAN_SPACE_RE.sub(r"\1", "".join(pieces)).strip()
    return CitationReport(cleaned, tuple(mapping), tuple(dict.fromkeys(out_of_range)),
                          tuple(dict.fromkeys(unsupported)), groups)


class CitationRewriter:
    """Streaming form of the range check and renumbering: feed text deltas, get display deltas.

    Text from a ``[`` that may still become a citation is held back until it is decided (at most
    a few characters); :meth:`flush` releases whatever is left at the end of the stream.
    """

    def __init__(self, n_passages: int) -> None:
        self.n = n_passages
        self.mapping: dict[int, int] = {}
        self._pending = ""

    def _rewrite(self, group: str) -> str:
        kept = [k for k in dict.fromkeys(_numbers(group)) if 1 <= k <= self.n]
        for number in kept:
            self.mapping.setdefault(number, len(self.mapping) + 1)
        return _format([self.mapping[k] for k in kept])

    def feed(self, delta: str) -> str:
        text = self._pending + delta
        self._pending = ""
        out = ""
        while text:
            i = text.find("[")
            if i < 0:
                out += text
                break
            out += text[:i]
            rest = text[i:]
            match = CITATION_RE.match(rest)
            if match:
                replacement = self._rewrite(match.group(1))
                out = out + replacement if replacement else out.rstrip(" \t")  # as verify_citations does
                text = rest[match.end():]
                continue
            partial = _PARTIAL_RE.match(rest)
            if partial and partial.end() == len(rest):
                self._pending = rest  # undecided: wait for more text
                break
            out += "["
            text = rest[1:]
        kept = out.rstrip(" \t")  # hold trailing blanks back: a dropped citation may follow
        self._pending = out[len(kept):] + self._pending
        return kept

    def flush(self) -> str:
        pending, self._pending = self._pending, ""
        return pending
