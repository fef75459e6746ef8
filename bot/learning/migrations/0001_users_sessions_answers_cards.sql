-- The learning loop: users, quiz sessions (one row per question), answers and FSRS cards.

CREATE TABLE users (
    user_id INTEGER PRIMARY KEY,
    display_name TEXT NOT NULL DEFAULT '',
    created REAL NOT NULL
);

CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(user_id) ON DELETE CASCADE,
    guild_id INTEGER,
    kind TEXT NOT NULL CHECK (kind IN ('quiz', 'review')),
    topic TEXT,
    total INTEGER NOT NULL CHECK (total > 0),
    position INTEGER NOT NULL DEFAULT 0,
    correct INTEGER NOT NULL DEFAULT 0,
    created REAL NOT NULL,
    shown_at REAL NOT NULL,
    finished REAL
);

CREATE INDEX sessions_user ON sessions(user_id, created);

CREATE INDEX sessions_created ON sessions(created);

-- one row per question, so answering touches small rows only (never a 10 kB JSON blob)
CREATE TABLE session_questions (
    session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    question TEXT NOT NULL,
    PRIMARY KEY (session_id, position)
);

CREATE TABLE answers (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(user_id) ON DELETE CASCADE,
    guild_id INTEGER,
    session_id TEXT REFERENCES sessions(id) ON DELETE SET NULL,
    position INTEGER,
    question_id TEXT NOT NULL,
    topic TEXT NOT NULL,
    correct INTEGER NOT NULL CHECK (correct IN (0, 1)),
    rating INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 4),
    elapsed_ms INTEGER NOT NULL,
    answered REAL NOT NULL,
    UNIQUE (session_id, position)
);

CREATE INDEX answers_user_time ON answers(user_id, answered);

CREATE INDEX answers_guild_time ON answers(guild_id, answered);

CREATE TABLE cards (
    user_id INTEGER NOT NULL REFERENCES users(user_id) ON DELETE CASCADE,
    question_id TEXT NOT NULL,
    topic TEXT NOT NULL,
    state INTEGER NOT NULL,
    step INTEGER,
    stability REAL,
    difficulty REAL,
    due REAL NOT NULL,
    last_review REAL,
    reps INTEGER NOT NULL DEFAULT 0,
    lapses INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (user_id, question_id)
);

CREATE INDEX cards_due ON cards(user_id, due);
