"""What every group of queries shares: the connection, the keys, one writer at a time."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiosqlite

from bot.store.crypto import Keys

BUSY_RETRIES = 50


class Rollback(Exception):
    """Raised inside `transaction()` to undo it without an error."""


class StoreBase:
    _db: aiosqlite.Connection
    _keys: Keys
    # One connection is shared by every task: transactions must not interleave.
    write_lock: asyncio.Lock
    # Set whenever something is queued in the outbox, so the relay wakes at once.
    outbox_changed: asyncio.Event

    def source_key(self, *parts: str) -> str:
        """A keyed hash naming a message to relay, for de-duplication without raw ids."""
        return self._keys.pseudonym("relay-source", ":".join(parts))

    async def checkpoint(self) -> None:
        """Moves the write-ahead log into the database and empties it: after a forget or a
        purge, the deleted rows must not wait in the -wal file (secure_delete then zeroes
        them in the database)."""
        async with self.write_lock:
            await self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    async def _begin_immediate(self) -> None:
        # SQLite's busy timeout covers most waits for another process's write lock, but in
        # WAL mode some (a checkpoint, a snapshot that moved on) answer "locked" at once:
        # try again briefly without blocking the event loop.
        for attempt in range(BUSY_RETRIES):
            try:
                await self._db.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or attempt == BUSY_RETRIES - 1:
                    raise
                await asyncio.sleep(0.01 * (attempt + 1))

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[None]:
        """One write transaction at a time (BEGIN IMMEDIATE also holds off other processes).
        Raise `Rollback` inside to undo quietly."""
        async with self.write_lock:
            await self._begin_immediate()
            try:
                yield
            except Rollback:
                await self._db.execute("ROLLBACK")
            except BaseException:
                await self._db.execute("ROLLBACK")
                raise
            else:
                await self._db.execute("COMMIT")
