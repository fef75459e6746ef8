"""The LLM path against a real OpenAI-compatible server, over the dev questions (``bench/llm.py
--base-url URL`` runs this).

For each dev question of ``eval/answers.jsonl`` (independent answer-quality set with nuggets):

* how the answer was shown: generated (verified) or fallback, by reason;
* p50/p95 time to the first streamed edit and to the final verified answer;
* prompt tokens (counted by the server's tokenizer when it has ``/extras/tokenize/count`` —
  llama-cpp-python does — else estimated at 4 characters a token) for the compact prompt the bot
  sends and for the whole-passage prompt it sent before, on the same questions;
* evidence quality of both prompts, with the extractive answers as the reference: the share of
  the extractive answer's sentences the prompt contains, and the nugget recall of the prompt's
  passages (what a model *could* say from it);
* nugget recall of what the student is shown (generated or fallback);
* the bot's own overhead per answer (retrieval + prompt + verification + Reply), target < 30 ms p50.

Run: scripts/test-llm-server .venv/bin/python bench/llm.py --base-url '$TUTOR_REAL_LLM_URL' --limit 40
"""

from __future__ import annotations

import asyncio
import json
import statistics
import time
import urllib.request
from collections import Counter

from bench.common import percentile


def _line(name: str, values: list[float], unit: str = "ms") -> str:
    if not values:
        return f"{name:<44} (none)"
    return (f"{name:<44} p50 {statistics.median(values):8.1f} {unit}   p95 {percentile(values, 0.95):8.1f} {unit}"
            f"   (n={len(values)})")


def chatml(messages: list[dict]) -> str:
    """The prompt as a chatml server renders it (close enough to count tokens)."""
    return "".join(f"<|im_start|>{m['role']}\n{m.get('content') or ''}<|im_end|>\n" for m in messages) + \
        "<|im_start|>assistant\n"


class TokenCounter:
    def __init__(self, base_url: str) -> None:
        self.url = base_url.rstrip("/").removesuffix("/v1") + "/extras/tokenize/count"
        self.exact = True

    def __call__(self, messages: list[dict]) -> int:
        text = chatml(messages)
        if self.exact:
            try:
                request = urllib.request.Request(self.url, data=json.dumps({"input": text}).encode(),
                                                 headers={"Content-Type": "application/json"})
                with urllib.request.urlopen(request, timeout=30) as response:
                    return int(json.loads(response.read())["count"])
            except Exception:
                self.exact = False
        return (len(text) + 3) // 4


def prompt_evidence(prompt) -> str:
    return "\n".join(m["content"] for m in prompt.messages if m["role"] == "user")


def reference_coverage(reference: str, evidence: str) -> float:
    """Share of the extractive answer's sentences that appear in the prompt's evidence."""
    from bot.llm.citations import strip_citations
    from knowledge.chunking import split_sentences

    norm = " ".join(evidence.split()).lower()
    sentences = [" ".join(s.split()).lower().rstrip(".") for s in split_sentences(strip_citations(reference))]
    sentences = [s for s in sentences if len(s) > 20]
    if not sentences:
        return 1.0
    return sum(s[:120] in norm for s in sentences) / len(sentences)


async def run(base_url: str, model: str | None, limit: int, max_tokens: int, timeout_s: float,
              split: str = "dev") -> None:
    import openai

    from bot.llm.backend import OpenAIChatBackend
    from bot.llm.streaming import throttle_edits
    from bot.replies import result_reply
    from bot.services import Services
    from knowledge.evaluation import load_answer_questions, nugget_hits

    if model is None:
        model = openai.OpenAI(base_url=base_url, api_key="no-key").models.list().data[0].id
    services = Services()
    t = time.perf_counter()
    services.warm_up()
    print(f"warm-up (model + index): {time.perf_counter() - t:.1f} s; server {base_url}, model {model}")
    questions = [q for q in load_answer_questions(split=split) if q.topic is not None][:limit]
    backend = OpenAIChatBackend(services.answerer, base_url=base_url, model=model, timeout_s=timeout_s,
                                max_tokens=max_tokens, max_retries=0, tools=None)
    count = TokenCounter(base_url)
    shown, reasons = Counter(), Counter()
    first_edit, final, overhead, tokens_new, tokens_old = [], [], [], [], []
    cover_new, cover_old, nug_new, nug_old, nug_shown, nug_extractive = [], [], [], [], [], []
    dropped = []
    try:
        for i, q in enumerate(questions, 1):
            grounded = services.answerer.answer(q.question)
            if not grounded.abstained:
                compact = backend.build_prompt(q.question, grounded)
                backend.compact_prompt = False
                whole = backend.build_prompt(q.question, grounded)
                backend.compact_prompt = True
                tokens_new.append(count(compact.messages))
                tokens_old.append(count(whole.messages))
                cover_new.append(reference_coverage(grounded.text, prompt_evidence(compact)))
                cover_old.append(reference_coverage(grounded.text, prompt_evidence(whole)))
                for values, prompt in ((nug_new, compact), (nug_old, whole)):
                    hits = nugget_hits(prompt_evidence(prompt), q.nuggets)
                    values.append(sum(hits) / len(hits) if hits else 1.0)
            start = time.perf_counter()
            first = None
            result = None
            async for edit in throttle_edits(backend.stream_answer(q.question), interval_s=1.0, final_waits=False):
                if first is None and not edit.final:
                    first = (time.perf_counter() - start) * 1000
                if edit.final:
                    result = edit.result
            final.append((time.perf_counter() - start) * 1000)
            if first is not None:
                first_edit.append(first)
            mark = time.perf_counter()
            reply = result_reply(result)
            reply_ms = (time.perf_counter() - mark) * 1000
            tm = result.timings_ms
            overhead.append(tm.get("retrieval_ms", 0) + tm.get("prompt_ms", 0) + tm.get("post_ms", 0) + reply_ms)
            kind = "abstained" if result.abstained else ("generated" if not result.fallback else "fallback")
            shown[kind] += 1
            if result.fallback and not result.abstained:
                reasons[result.fallback] += 1
            if result.verification is not None:
                dropped.append(len(result.verification.dropped))
            hits = nugget_hits(reply.text, q.nuggets) if not result.abstained else [False] * len(q.nuggets)
            nug_shown.append(sum(hits) / len(hits) if hits else 1.0)
            ref = nugget_hits(grounded.text, q.nuggets) if not grounded.abstained else [False] * len(q.nuggets)
            nug_extractive.append(sum(ref) / len(ref) if ref else 1.0)
            print(f"  [{i}/{len(questions)}] {kind:<9} {result.fallback or '':<11} {final[-1] / 1000:6.1f} s  "
                  f"{q.question[:70]}")
    finally:
        await backend.aclose()

    mean = lambda xs: sum(xs) / len(xs) if xs else float("nan")  # noqa: E731
    print(f"\n{len(questions)} dev questions ({split}) against {model}")
    print(f"shown: {dict(shown)}; fallbacks by reason: {dict(reasons)}; "
          f"sentences dropped per verified answer: mean {mean(dropped):.2f}")
    print(_line("time to first streamed edit", first_edit))
    print(_line("time to the final (verified) answer", final))
    print(_line("bot overhead per answer", overhead) + "   target < 30 ms p50")
    unit = "tokens" if count.exact else "tokens (estimated)"
    print(_line("prompt tokens, whole passages (before)", [float(x) for x in tokens_old], unit))
    print(_line("prompt tokens, excerpts (now)", [float(x) for x in tokens_new], unit))
    if tokens_old:
        print(f"median prompt tokens now / whole passages: "
              f"{statistics.median(tokens_new) / statistics.median(tokens_old):.2f}   (both with today's short system "
              "message; against the system message before issue 14 the ratio was 0.58, target <= 0.60)")
    print(f"extractive answer's sentences in the prompt: before {mean(cover_old):.3f}, now {mean(cover_new):.3f}")
    print(f"nugget recall of the prompt's evidence:      before {mean(nug_old):.3f}, now {mean(nug_new):.3f}")
    print(f"nugget recall of what is shown: {mean(nug_shown):.3f} (extractive answers alone: {mean(nug_extractive):.3f})")
