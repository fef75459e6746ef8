"""Follow-ups without an LLM: "and for tanh?", "why?", "what about at inference?".

A short follow-up says nothing about its subject on its own; retrieved alone it lands anywhere.
Read together with the question before it, it stays on topic. A follow-up that names a subject
of its own ("what is focal loss?") is a new question and is retrieved as it is.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from knowledge.query import MAX_QUERY_CHARS

MAX_FOLLOWUP_WORDS = 7
_FOLLOWUP_OPENER = re.compile(
    r"^\s*(and|but|so|also|or|then|what about|how about|why|why not|how come|and why|and how|really|"
    r"what if|same for|for|in|at|with|without|is that|does that|does it|is it|can it|can you|could you|"
    r"give me|show me|example|more|go on|elaborate|explain (?:that|this|more|again)|wait)\b", re.IGNORECASE)
_PRONOUN = re.compile(r"\b(it|that|this|they|them|those|these|its|one)\b", re.IGNORECASE)


def is_followup(question: str) -> bool:
    words = question.split()
    if not words or len(words) > MAX_FOLLOWUP_WORDS:
        return False
    return bool(_FOLLOWUP_OPENER.match(question) or _PRONOUN.search(question))


def retrieval_query(question: str, previous: Sequence[str] = ()) -> str:
    """What to retrieve for ``question`` given the conversation's earlier questions."""
    if not previous or not is_followup(question):
        return question
    return f"{previous[-1]} {question}"[-MAX_QUERY_CHARS:]
