"""aiosqlite access. Every query that touches people goes through here."""

from __future__ import annotations

import asyncio
import json
import logging
import os
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import aiosqlite

from bot.store.crypto import Keys
from bot.store.migrations import MIGRATIONS
from bot.store.privacy import PrivacyQueries
from bot.store.rotation import RotationQueries
from bot.store.tickets import StaffNoticeQueries, TicketQueries

log = logging.getLogger(__name__)


def private_directory(path: Path) -> None:
    """Created readable by the bot's user only (and made so if it was not)."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.chmod(0o700)


def private_file(path: Path) -> None:
    """The database file, created 0600 before SQLite opens it: SQLite gives its -wal and -shm
    files the database file's mode."""
    private_directory(path.parent)
    os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    path.chmod(0o600)


@dataclass
class Profile:
    """What the bot remembers about one person between messages."""

    user_key: str
    channel: str
    address: str
    language: str
    state: dict[str, Any] = field(default_factory=dict)
    is_new: bool = False


class Store(PrivacyQueries, TicketQueries, StaffNoticeQueries, RotationQueries):
    def __init__(self, db: aiosqlite.Connection, keys: Keys) -> None:
        self._db = db
        self._keys = keys
        # One connection is shared by every task: transactions must not interleave.
        self.write_lock = asyncio.Lock()
        self.outbox_changed = asyncio.Event()

    @classmethod
    async def open(cls, path: Path, keys: Keys) -> Store:
        private_file(path)
        # isolation_level=None: transactions are explicit (BEGIN IMMEDIATE for bookings).
        db = await aiosqlite.connect(path, isolation_level=None)
        try:
            await db.execute("PRAGMA journal_mode=WAL")
            await db.execute("PRAGMA foreign_keys=ON")
            # Deleted rows are overwritten with zeros, not left in free pages of the file.
            await db.execute("PRAGMA secure_delete=ON")
            # NORMAL is durable across process crashes in WAL mode; only power loss can
            # drop the last transactions.
            await db.execute("PRAGMA synchronous=NORMAL")
            # Another process (a CLI export, a second bot) may hold the write lock briefly.
            await db.execute("PRAGMA busy_timeout=5000")
            store = cls(db, keys)
            await store._migrate()
        except BaseException:
            await db.close()
            raise
        return store

    async def close(self) -> None:
        await self._db.close()

    async def schema_version(self) -> int:
        async with self._db.execute("PRAGMA user_version") as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0

    async def _migrate(self) -> None:
        current = await self.schema_version()
        if current > len(MIGRATIONS):
            raise RuntimeError(
                f"database schema {current} is newer than this code ({len(MIGRATIONS)}); "
                "run the newer release or restore a backup"
            )
        for version, script in enumerate(MIGRATIONS[current:], start=current + 1):
            await self._db.executescript(
                f"BEGIN;\n{script}\nPRAGMA user_version = {version};\nCOMMIT;"
            )
            log.info("schema_migrated version=%d", version)

    async def load_profile(self, user_key: str) -> Profile | None:
        async with self._db.execute(
            "SELECT channel, address, language, state FROM users WHERE user_key = ?",
            (user_key,),
        ) as cursor:
            row = await cursor.fetchone()
        if row is None:
            return None
        channel, sealed, language, state = row
        return Profile(
            user_key=user_key,
            channel=channel,
            address=self._keys.unseal(sealed, user_key),
            language=language,
            state=self._unseal_state(state, user_key),
        )

    def _seal_state(self, profile: Profile) -> str:
        """The conversation state holds what the person typed (a nickname): sealed like the
        address, bound to the person."""
        plain = json.dumps(profile.state, separators=(",", ":"))
        return self._keys.seal_text(plain, profile.user_key)

    def _unseal_state(self, stored: str, user_key: str) -> dict[str, Any]:
        return dict(json.loads(self._keys.unseal_text(stored, user_key)))

    async def save_profile(self, profile: Profile, today: date) -> None:
        sealed = self._keys.seal(profile.address, profile.user_key)
        day = today.isoformat()
        async with self.write_lock:
            await self._save_profile(profile, sealed, day)

    async def save_state(self, profile: Profile) -> None:
        """Only the conversation state: for what the bot shows outside a turn (a reply from
        the team, a reminder), which must not count as the person having written."""
        async with self.write_lock:
            await self._db.execute(
                "UPDATE users SET state = ? WHERE user_key = ?",
                (self._seal_state(profile), profile.user_key),
            )

    async def _save_profile(self, profile: Profile, sealed: bytes, day: str) -> None:
        await self._db.execute(
            """
            INSERT INTO users (user_key, channel, address, language, state, first_seen, last_seen)
            VALUES (?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (user_key) DO UPDATE SET
                address = excluded.address,
                language = excluded.language,
                state = excluded.state,
                last_seen = excluded.last_seen
            """,
            (
                profile.user_key,
                profile.channel,
                sealed,
                profile.language,
                self._seal_state(profile),
                day,
                day,
            ),
        )
