-- The chat front end's records: answers (so their buttons work after a restart), 👍/👎 votes,
-- and one usage row per command.

CREATE TABLE answers (
    id TEXT PRIMARY KEY,
    created REAL NOT NULL,
    user_id INTEGER,
    guild_id INTEGER,
    question TEXT NOT NULL,
    answer TEXT NOT NULL,
    abstained INTEGER NOT NULL,
    sources TEXT NOT NULL,
    passages TEXT NOT NULL
);

CREATE TABLE feedback (
    answer_id TEXT NOT NULL REFERENCES answers(id),
    user_id INTEGER NOT NULL,
    vote INTEGER NOT NULL CHECK (vote IN (-1, 1)),
    created REAL NOT NULL,
    PRIMARY KEY (answer_id, user_id)
);

CREATE TABLE usage (
    ts REAL NOT NULL,
    user_id INTEGER,
    guild_id INTEGER,
    command TEXT NOT NULL,
    outcome TEXT NOT NULL,
    ms REAL NOT NULL
);

CREATE INDEX usage_ts ON usage(ts);
