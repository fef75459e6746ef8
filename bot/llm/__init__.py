"""Optional LLM answers: a chat model over any OpenAI-compatible server, grounded in our passages.

``Services.answer_backend`` is :func:`build_backend`'s choice: :class:`ExtractiveBackend` (the
default; nothing changes) or :class:`OpenAIChatBackend` when ``LLM_BASE_URL`` is set. Front ends
that stream use ``backend.stream_answer(question, history)`` with :func:`throttle_edits`, and keep
thread history in a :class:`ConversationStore`.
"""

from bot.llm.backend import (
    AnswerBackend, AnswerResult, ExtractiveBackend, OpenAIChatBackend, ToolRun, ToolRunner, build_backend,
    thread_tool_runner,
)
from bot.llm.citations import CitationReport, strip_citations, verify_citations
from bot.llm.conversation import Conversation, ConversationStore, Turn, select_history
from bot.llm.streaming import (
    Edit, EditThrottle, Final, StreamEvent, TextDelta, ToolFinished, ToolStarted, throttle_edits,
)

__all__ = [
    "AnswerBackend", "AnswerResult", "CitationReport", "Conversation", "ConversationStore", "Edit",
    "EditThrottle", "ExtractiveBackend", "Final", "OpenAIChatBackend", "StreamEvent", "TextDelta",
    "ToolFinished", "ToolRun", "ToolRunner", "ToolStarted", "Turn", "build_backend", "select_history",
    "strip_citations", "thread_tool_runner", "throttle_edits", "verify_citations",
]
