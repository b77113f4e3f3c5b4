"""`backup` and `restore`: a consistent copy of the database while the bot runs.

SQLite's online backup API copies the database page by page under its own locks, so the bot
goes on answering during a backup and the copy is a single consistent state. The copy holds
what the database holds: sealed text and pseudonyms, useless without the key
(BOT_SECRET_KEY), which must be kept somewhere else. Restoring replaces the database with the
copy; it refuses while the bot runs (`python -m bot run` holds `RUN_LOCK`).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

RUN_LOCK = "run.lock"
LAST_BACKUP = "last_backup"


class BackupError(Exception):
    """Said in one line to the operator."""


@contextlib.contextmanager
def running(data_dir: Path) -> Iterator[None]:
    """Held by `run` for as long as it serves: a restore would pull the database from under
    it. The lock goes with the process, however it ends."""
    with open(data_dir / RUN_LOCK, "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise BackupError(f"another bot is already running on {data_dir}") from exc
        yield


def bot_is_running(data_dir: Path) -> bool:
    """Whether `run` serves from this data folder now (it holds `RUN_LOCK`). Nothing is
    created: without the lock file, no bot ever ran here."""
    path = data_dir / RUN_LOCK
    if not path.exists():
        return False
    with open(path) as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
    return False


def backup(database: Path, target: Path, now: datetime | None = None) -> None:
    if not database.exists():
        raise BackupError(f"no database at {database}")
    partial = target.with_name(target.name + ".partial")
    # Readable by the owner only from the first byte, like the database itself.
    os.close(os.open(partial, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600))
    try:
        moment = (now or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
        with contextlib.closing(sqlite3.connect(database, timeout=30)) as source:
            with contextlib.closing(sqlite3.connect(partial)) as copy:
                source.backup(copy)
                # In the copy too: once restored, the doctor dates the last backup from it.
                _record_backup(copy, moment)
            _record_backup(source, moment)
        os.replace(partial, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            partial.unlink()


def _record_backup(db: sqlite3.Connection, moment: str) -> None:
    db.execute(
        "INSERT INTO bot_settings (key, value) VALUES (?, ?) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (LAST_BACKUP, moment),
    )
    db.commit()


def restore(source: Path, database: Path) -> None:
    if not source.exists():
        raise BackupError(f"no backup at {source}")
    with contextlib.closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as copy:
        try:
            ok = copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            copy.execute("SELECT 1 FROM bot_settings LIMIT 1").fetchall()
        except sqlite3.DatabaseError as exc:
            raise BackupError(f"{source} is not a Parapluie backup ({exc})") from exc
        if not ok:
            raise BackupError(f"{source} is damaged: PRAGMA integrity_check failed")
        try:
            lock = running(database.parent)
            lock.__enter__()
        except BackupError as exc:
            raise BackupError("the bot is running: stop it before restoring") from exc
        try:
            os.close(os.open(database, os.O_CREAT | os.O_WRONLY, 0o600))
            with contextlib.closing(sqlite3.connect(database, timeout=30)) as target:
                copy.backup(target)
        finally:
            lock.__exit__(None, None, None)
