-- What a server's admins chose for the bot: open a thread under every /ask answer, and the
-- forum channels whose new posts the bot answers (when it is confident).
CREATE TABLE server_settings (
    guild_id INTEGER PRIMARY KEY,
    auto_thread INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE forum_channels (
    guild_id INTEGER NOT NULL,
    channel_id INTEGER NOT NULL,
    added REAL NOT NULL,
    PRIMARY KEY (guild_id, channel_id)
);
