-- Who put a question in the gap log (the asker, or the member who voted an answer down), so
-- /forget-me can delete it. Entries from before this migration have no user and stay anonymous.

ALTER TABLE gaps ADD COLUMN user_id INTEGER;
CREATE INDEX gaps_user ON gaps(user_id);
