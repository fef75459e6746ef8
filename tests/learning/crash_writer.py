"""Child process for test_crash.py: records answers as fast as it can, printing ``ack <session>
<position>`` after each answer's transaction has committed, until it is killed."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bot.learning.store import LearningStore  # noqa: E402

QUESTIONS = [{"id": f"relu-q{i}", "topic": "relu", "type": "choice", "prompt": "?", "choices": ["a", "b"],
              "answer": 0, "explanation": "e", "section": "The math"} for i in range(10)]


def main() -> None:
    store = LearningStore(Path(sys.argv[1]))
    n = 0
    while True:
        session_id = f"{n:012x}"
        store.create_session(session_id, n % 7, 1, "crash", "quiz", "relu", QUESTIONS)
        for position in range(len(QUESTIONS)):
            store.record_answer(session_id, position, position % 2, n % 7)
            sys.stdout.write(f"ack {session_id} {position}\n")
            sys.stdout.flush()
        n += 1


if __name__ == "__main__":
    main()
