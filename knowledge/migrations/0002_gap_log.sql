-- The gap log: questions the bot could not answer, and answers voted down.

CREATE TABLE gaps (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created REAL NOT NULL,
    guild_id INTEGER NOT NULL,
    question TEXT NOT NULL,
    best_score REAL,
    kind TEXT NOT NULL CHECK (kind IN ('abstained', 'downvote')),
    ref TEXT,
    vector BLOB NOT NULL,
    resolved REAL,
    resolved_by_note INTEGER REFERENCES notes(id) ON DELETE SET NULL
);
CREATE INDEX gaps_open ON gaps(guild_id, resolved);
