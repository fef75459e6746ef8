-- Server notes: one row per note; the per-guild FAISS indexes are rebuilt from these.

CREATE TABLE notes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    guild_id INTEGER NOT NULL,
    title TEXT NOT NULL,
    topic TEXT,
    body TEXT NOT NULL,
    author_id INTEGER,
    author_name TEXT NOT NULL DEFAULT '',
    created REAL NOT NULL,
    sha256 TEXT NOT NULL
);
CREATE INDEX notes_guild ON notes(guild_id, id);
