"""Calibrate the support threshold of bot.llm.verify (sentence vs. cited passage, MiniLM cosine).

Supported pairs: every sentence of our authored answers (paraphrases written from an article
section) against the passages of the section it cites. Unsupported pairs: the same sentence
against the retrieved passages of *other* articles for the answer's first phrasing — what a
model citing the wrong passage looks like. Same-article, other-section pairs are printed too
(some of them really are supported: sections overlap).

Optionally ``--answers FILE`` adds real model answers (a JSONL that ``bench/llm.py --dump``
writes) and prints the cosine of every sentence with its cited passage, for reading by hand.

Run: .venv/bin/python bench/verify_calibration.py
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target-recall", type=float, default=0.9,
                        help="share of supported pairs that must pass (default 0.9)")
    args = parser.parse_args()

    from bot.llm.citations import content_stems
    from bot.llm.evidence import SentenceBank
    from bot.services import Services
    from knowledge.chunking import split_sentences

    services = Services()
    answerer = services.answerer
    kb = answerer.kb
    bank = SentenceBank(kb.embedder, kb)
    rng = random.Random(0)
    by_section: dict[tuple[str, str], list] = {}
    for chunk in kb.chunks:
        by_section.setdefault((chunk.topic, chunk.section.split(" › ")[0]), []).append(chunk)

    def best(vector: np.ndarray, chunks: list) -> float:
        sims = [float(np.max(bank.chunk_sentences(c)[1] @ vector)) for c in chunks]
        return max(sims) if sims else float("nan")

    def novel(sentence: str, chunks: list) -> float:
        """Share of the sentence's content words found in none of ``chunks``."""
        words = content_stems(sentence)
        known = set().union(*(content_stems(f"{c.title} {c.section} {c.text}") for c in chunks))
        return len(words - known) / len(words) if words else 0.0

    pos, neg_other, neg_same = [], [], []
    nov_pos, nov_other = [], []
    answers = answerer.authored.answers if answerer.authored is not None else []
    for authored in answers:
        own = by_section.get((authored.topic, authored.section.split(" › ")[0]), [])
        if not own:
            continue
        sentences = [s for s in split_sentences(authored.answer) if len(s.split()) >= 5]
        if not sentences:
            continue
        vectors = bank.encode(sentences)
        retrieved = kb.search(authored.questions[0], k=8).hits
        others = [h.chunk for h in retrieved if h.chunk.topic != authored.topic][:3]
        if not others:
            others = rng.sample([c for c in kb.chunks if c.topic != authored.topic], 3)
        same = [c for c in kb.chunks if c.topic == authored.topic and c not in own]
        same = rng.sample(same, min(3, len(same)))
        for sentence, vector in zip(sentences, vectors):
            pos.append(best(vector, own))
            neg_other.append(best(vector, others))
            nov_pos.append(novel(sentence, own))
            nov_other.append(novel(sentence, others[:1]))
            if same:
                neg_same.append(best(vector, same))

    pos_a, other_a, same_a = (np.array(x) for x in (pos, neg_other, neg_same))
    print(f"{len(pos_a)} authored sentences from {len(answers)} authored answers")
    for name, values in (("supported (own section)", pos_a), ("other article, retrieved", other_a),
                         ("same article, other section", same_a)):
        q = np.percentile(values, [5, 25, 50, 75, 95])
        print(f"  {name:<30} p5 {q[0]:.2f}  p25 {q[1]:.2f}  p50 {q[2]:.2f}  p75 {q[3]:.2f}  p95 {q[4]:.2f}")
    print("\nthreshold  supported kept  other-article kept  same-article kept")
    for t in np.arange(0.40, 0.86, 0.02):
        print(f"   {t:.2f}        {np.mean(pos_a >= t):.3f}           {np.mean(other_a >= t):.3f}"
              f"              {np.mean(same_a >= t):.3f}")
    nov_p, nov_o = np.array(nov_pos), np.array(nov_other)
    print("\nnovel-word share  supported kept  other-article kept   (and with cosine >= 0.62)")
    for u in (0.3, 0.4, 0.5, 0.6, 0.7):
        print(f"   <= {u:.1f}          {np.mean(nov_p <= u):.3f}           {np.mean(nov_o <= u):.3f}"
              f"           {np.mean((nov_p <= u) & (pos_a >= 0.62)):.3f} / {np.mean((nov_o <= u) & (other_a >= 0.62)):.3f}")
    threshold = float(np.quantile(pos_a, 1 - args.target_recall))
    print(f"\nthreshold keeping {args.target_recall:.0%} of supported sentences: {threshold:.3f} "
          f"(other-article sentences kept at it: {np.mean(other_a >= threshold):.3f})")


if __name__ == "__main__":
    main()
