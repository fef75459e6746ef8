"""The learning loop: quizzes from our question bank, FSRS spaced repetition, progress and
leaderboards, all kept in ``<data_dir>/learning.db``.

* :mod:`bot.learning.scheduler` — FSRS cards and ratings (the ``fsrs`` package);
* :mod:`bot.learning.store` — the SQLite store (WAL, versioned migrations, ``forget_user``);
* :mod:`bot.learning.quiz` — sessions, checks ("Quiz me on this"), hints, button payloads;
* :mod:`bot.learning.next_step` — the one best next step (``/next``);
* :mod:`bot.learning.daily` — when a server's question of the day is due, and which one;
* :mod:`bot.learning.progress` — per-user progress, streaks, leaderboards, ``progress_lines``;
* :mod:`bot.learning.charts` — the progress PNG.

The commands live in :mod:`bot.commands.learning_cmds`. Importing this package is cheap.
"""
