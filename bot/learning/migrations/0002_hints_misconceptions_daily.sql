-- Hints, misconceptions and the question of the day.

-- how many hint steps the student took on the session's current question (0 none, 1 hint,
-- 2 the passage too); reset when the session moves on. The answer keeps the count.
ALTER TABLE sessions ADD COLUMN hints INTEGER NOT NULL DEFAULT 0;

ALTER TABLE answers ADD COLUMN hints INTEGER NOT NULL DEFAULT 0;

-- a wrong choice a student made, with the misconception it stands for; deleted when the student
-- later answers the same question right (without reading the passage first)
CREATE TABLE misconceptions (
    user_id INTEGER NOT NULL REFERENCES users(user_id) ON DELETE CASCADE,
    question_id TEXT NOT NULL,
    topic TEXT NOT NULL,
    section TEXT NOT NULL,
    choice TEXT NOT NULL,
    why_wrong TEXT NOT NULL,
    first_shown REAL NOT NULL,
    last_shown REAL NOT NULL,
    times INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (user_id, question_id, choice)
);

-- one per server: where and when (UTC) the question of the day is posted, and the last UTC date
-- handled (posted or skipped), claimed before posting so a restart never posts twice
CREATE TABLE daily_schedules (
    guild_id INTEGER PRIMARY KEY,
    channel_id INTEGER NOT NULL,
    time_utc TEXT NOT NULL,
    last_date TEXT,
    created REAL NOT NULL
);

CREATE TABLE daily_posts (
    id TEXT PRIMARY KEY,
    guild_id INTEGER NOT NULL,
    channel_id INTEGER NOT NULL,
    day TEXT NOT NULL,
    question TEXT NOT NULL,
    posted REAL NOT NULL,
    UNIQUE (guild_id, day)
);

-- one row per student and daily question: hints taken, then the answer (choice NULL until then)
CREATE TABLE daily_responses (
    post_id TEXT NOT NULL REFERENCES daily_posts(id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES users(user_id) ON DELETE CASCADE,
    hints INTEGER NOT NULL DEFAULT 0,
    choice INTEGER,
    correct INTEGER,
    answered REAL,
    PRIMARY KEY (post_id, user_id)
);

CREATE INDEX misconceptions_user ON misconceptions(user_id, last_shown);
