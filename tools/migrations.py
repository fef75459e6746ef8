"""One way to evolve every SQLite database: numbered SQL files, applied in order by one runner.

A database's schema is a folder of files ``0001_notes.sql``, ``0002_gap_log.sql``, …; the table
``schema_migrations (version, name, applied)`` records which ones ran. :func:`migrate` applies the
missing ones in order, each in its own ``BEGIN IMMEDIATE`` transaction (so two processes opening
the same file never apply one twice), and refuses a file migrated by newer code. Statements are
split with :func:`sqlite3.complete_statement`, so a ``;`` inside a string or a trigger is safe.

A file created before this scheme is *adopted*: ``adopt(connection)`` says how many of the
migrations it already has (from ``PRAGMA user_version``, or because its tables exist), and those
are recorded without running them.

:func:`open_database` gives each process one connection per database file, shared by every
store of that file under one lock; each opener holds its own :class:`DatabaseHandle` and closes
only that (the connection closes with the last one).
"""

from __future__ import annotations

import logging
import re
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

log = logging.getLogger(__name__)

BUSY_TIMEOUT_S = 10.0
_FILE = re.compile(r"(\d{4})_([a-z0-9_]+)\.sql")

Adopt = Callable[[sqlite3.Connection], int]


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str

    def statements(self) -> list[str]:
        return split_statements(self.sql)


def split_statements(sql: str) -> list[str]:
    """The complete SQL statements of a script, in order (comments and blank lines dropped)."""
    statements: list[str] = []
    pending = ""
    for line in sql.splitlines(keepends=True):
        if not pending and (not line.strip() or line.lstrip().startswith("--")):
            continue
        pending += line
        if sqlite3.complete_statement(pending):
            statements.append(pending.strip())
            pending = ""
    if pending.strip():
        raise ValueError(f"incomplete SQL statement at the end of a migration: {pending.strip()[:80]!r}")
    return statements


@lru_cache(maxsize=None)
def load_migrations(folder: Path) -> tuple[Migration, ...]:
    """The migrations in ``folder``, numbered 1, 2, 3, … without gaps."""
    found = []
    for path in sorted(Path(folder).glob("*.sql")):
        match = _FILE.fullmatch(path.name)
        if match is None:
            raise ValueError(f"{path}: a migration is named NNNN_name.sql")
        found.append(Migration(int(match.group(1)), match.group(2), path.read_text(encoding="utf-8")))
    if [m.version for m in found] != list(range(1, len(found) + 1)):
        raise ValueError(f"{folder}: migrations must be numbered 0001, 0002, … without gaps")
    return tuple(found)


def schema_version(db: sqlite3.Connection) -> int:
    row = db.execute("SELECT MAX(version) FROM schema_migrations").fetchone()
    return int(row[0] or 0)


def _begin(db: sqlite3.Connection) -> None:
    db.execute("BEGIN IMMEDIATE")


def migrate(db: sqlite3.Connection, migrations: tuple[Migration, ...], adopt: Adopt | None = None,
            label: str = "database") -> int:
    """Bring ``db`` (a connection in autocommit mode) up to the last migration; returns its version."""
    latest = migrations[-1].version if migrations else 0
    _begin(db)
    try:
        db.execute("CREATE TABLE IF NOT EXISTS schema_migrations ("
                   "version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied REAL NOT NULL)")
        if adopt is not None and schema_version(db) == 0:
            for migration in migrations[: adopt(db)]:
                db.execute("INSERT INTO schema_migrations VALUES (?, ?, ?)",
                           (migration.version, migration.name, time.time()))
                log.info("%s: adopted migration %d (%s)", label, migration.version, migration.name)
        current = schema_version(db)
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise
    if current > latest:
        raise RuntimeError(f"{label} has schema version {current}, newer than this code ({latest}); upgrade the bot")
    for migration in migrations[current:]:
        _begin(db)
        try:
            # another process may have migrated between our check and BEGIN
            if not db.execute("SELECT 1 FROM schema_migrations WHERE version = ?", (migration.version,)).fetchone():
                for statement in migration.statements():
                    db.execute(statement)
                db.execute("INSERT INTO schema_migrations VALUES (?, ?, ?)",
                           (migration.version, migration.name, time.time()))
                log.info("%s: applied migration %d (%s)", label, migration.version, migration.name)
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
    return latest


class _Database:
    """The one connection of a process to one file, and the lock its users share."""

    def __init__(self, path: Path, synchronous: str) -> None:
        self.path = path
        self.lock = threading.RLock()
        self.connection = sqlite3.connect(path, check_same_thread=False, isolation_level=None,
                                          timeout=BUSY_TIMEOUT_S)
        self.connection.execute("PRAGMA journal_mode=WAL")
        self.connection.execute(f"PRAGMA synchronous={synchronous}")
        self.connection.execute("PRAGMA foreign_keys=ON")
        self.handles = 0
        self.migrated: set[Path] = set()


class DatabaseHandle:
    """One store's hold on a shared connection; after :meth:`close` it acts like a closed connection."""

    def __init__(self, database: _Database) -> None:
        self._database: _Database | None = database
        self.path = database.path
        self.lock = database.lock

    @property
    def closed(self) -> bool:
        return self._database is None

    @property
    def connection(self) -> sqlite3.Connection:
        if self._database is None:
            raise sqlite3.ProgrammingError("Cannot operate on a closed database.")
        return self._database.connection

    def close(self) -> None:
        with _OPEN_LOCK:
            database, self._database = self._database, None
            if database is None:
                return
            database.handles -= 1
            if database.handles == 0:
                _OPEN.pop(database.path, None)
                with database.lock:
                    database.connection.close()


_OPEN: dict[Path, _Database] = {}
_OPEN_LOCK = threading.Lock()
_SYNCHRONOUS = {"FULL", "NORMAL"}


def open_database(path: Path, migrations_dir: Path, *, synchronous: str = "NORMAL",
                  adopt: Adopt | None = None) -> DatabaseHandle:
    """A handle on this process's connection to ``path`` (WAL, foreign keys on), migrated with
    the files in ``migrations_dir``. ``synchronous`` is set by the first opener."""
    if synchronous not in _SYNCHRONOUS:
        raise ValueError("synchronous must be FULL or NORMAL")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    key = path.resolve()
    migrations = load_migrations(Path(migrations_dir).resolve())
    with _OPEN_LOCK:
        database = _OPEN.get(key)
        fresh = database is None
        if database is None:
            database = _Database(key, synchronous)
        try:
            if Path(migrations_dir).resolve() not in database.migrated:
                with database.lock:
                    migrate(database.connection, migrations, adopt, label=str(path))
                database.migrated.add(Path(migrations_dir).resolve())
        except BaseException:
            if fresh:
                database.connection.close()
            raise
        database.handles += 1
        _OPEN[key] = database
        return DatabaseHandle(database)
