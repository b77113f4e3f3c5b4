"""What every group of queries shares: the connection, the keys, one writer at a time."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiosqlite

from bot.store.crypto import Keys


class Rollback(Exception):
    """Raised inside `transaction()` to undo it without an error."""


class StoreBase:
    _db: aiosqlite.Connection
    _keys: Keys
    # One connection is shared by every task: transactions must not interleave.
    write_lock: asyncio.Lock
    # Set whenever something is queued in the outbox, so the relay wakes at once.
    outbox_changed: asyncio.Event

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[None]:
        """One write transaction at a time (BEGIN IMMEDIATE also holds off other processes).
        Raise `Rollback` inside to undo quietly."""
        async with self.write_lock:
            await self._db.execute("BEGIN IMMEDIATE")
            try:
                yield
            except Rollback:
                await self._db.execute("ROLLBACK")
            except BaseException:
                await self._db.execute("ROLLBACK")
                raise
            else:
                await self._db.execute("COMMIT")
