"""Per-server choices the admins make on Discord: auto-threads and the forums the bot answers in.

No user ids are kept (nothing here for ``/forget-me`` to find). Rows live in ``tutor.db`` (migration ``0002_server_settings.sql``), next to the answers and the
votes, through the same per-process connection (:func:`tools.migrations.open_database`). Reads
are cached in memory: the bot asks "is this a watched forum?" for every new thread in every
server, and only ``/admin`` commands change the answer (they write through this object).
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

from bot.runtime.storage import MIGRATIONS_DIR, _adopt
from tools.migrations import open_database

MAX_FORUMS_PER_GUILD = 25


class ServerSettings:
    def __init__(self, path: Path) -> None:
        self._handle = open_database(Path(path), MIGRATIONS_DIR, adopt=_adopt)
        self._lock = self._handle.lock
        self._cache_lock = threading.Lock()
        self._forums: dict[int, frozenset[int]] = {}
        self._auto_thread: dict[int, bool] = {}

    @property
    def closed(self) -> bool:
        return self._handle.closed

    def close(self) -> None:
        self._handle.close()

    # ----------------------------------------------------------------- auto-threads
    def auto_thread(self, guild_id: int) -> bool:
        with self._cache_lock:
            if guild_id in self._auto_thread:
                return self._auto_thread[guild_id]
        with self._lock:
            row = self._handle.connection.execute(
                "SELECT auto_thread FROM server_settings WHERE guild_id = ?", (guild_id,)).fetchone()
        value = bool(row and row[0])
        with self._cache_lock:
            self._auto_thread[guild_id] = value
        return value

    def set_auto_thread(self, guild_id: int, enabled: bool) -> None:
        with self._lock:
            self._handle.connection.execute(
                "INSERT INTO server_settings (guild_id, auto_thread) VALUES (?, ?) "
                "ON CONFLICT (guild_id) DO UPDATE SET auto_thread = excluded.auto_thread", (guild_id, int(enabled)))
        with self._cache_lock:
            self._auto_thread[guild_id] = enabled

    # ----------------------------------------------------------------- forums
    def forums(self, guild_id: int) -> frozenset[int]:
        with self._cache_lock:
            if guild_id in self._forums:
                return self._forums[guild_id]
        with self._lock:
            rows = self._handle.connection.execute(
                "SELECT channel_id FROM forum_channels WHERE guild_id = ?", (guild_id,)).fetchall()
        value = frozenset(r[0] for r in rows)
        with self._cache_lock:
            self._forums[guild_id] = value
        return value

    def add_forum(self, guild_id: int, channel_id: int) -> bool:
        """False if it was already watched; :class:`ValueError` past :data:`MAX_FORUMS_PER_GUILD`."""
        current = self.forums(guild_id)
        if channel_id in current:
            return False
        if len(current) >= MAX_FORUMS_PER_GUILD:
            raise ValueError(f"a server can have at most {MAX_FORUMS_PER_GUILD} help forums")
        with self._lock:
            self._handle.connection.execute(
                "INSERT OR IGNORE INTO forum_channels VALUES (?, ?, ?)", (guild_id, channel_id, time.time()))
        with self._cache_lock:
            self._forums[guild_id] = current | {channel_id}
        return True

    def remove_forum(self, guild_id: int, channel_id: int) -> bool:
        with self._lock:
            cur = self._handle.connection.execute(
                "DELETE FROM forum_channels WHERE guild_id = ? AND channel_id = ?", (guild_id, channel_id))
        with self._cache_lock:
            self._forums.pop(guild_id, None)
        return cur.rowcount > 0
