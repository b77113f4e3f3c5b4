"""Forgetting a person and purging what has outlived its use."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from bot.store.bookings import Appointment, BookingQueries, from_iso, iso


@dataclass(frozen=True)
class GoneConversation:
    """A deleted conversation whose topic the team must hear about."""

    pseudonym: str
    thread_id: int


@dataclass(frozen=True)
class Forgotten:
    cancelled: list[Appointment]  # upcoming appointments the team must hear about
    appointments: int
    conversations: int
    gone: list[GoneConversation] = field(default_factory=list)


@dataclass(frozen=True)
class Purged:
    conversations: int
    appointments: int
    people: int
    gone: list[GoneConversation] = field(default_factory=list)


CLEARABLE_HOURS = 48  # Telegram: bots may delete messages up to 48 hours old
# signal-cli delivers again only what it could not hand over before a disconnection, within
# seconds or minutes of the reconnection; six hours covers a long outage and keeps no trace of
# who wrote when beyond the night.
SEEN_MESSAGE_HOURS = 6
GONE_THREAD_DAYS = 90  # staff writing in a deleted conversation's topic are told, this long


class PrivacyQueries(BookingQueries):
    async def record_chat_messages(
        self, user_key: str, message_ids: list[int], now: datetime
    ) -> None:
        async with self.write_lock:
            await self._db.executemany(
                "INSERT OR IGNORE INTO chat_messages (user_key, message_id, at) VALUES (?, ?, ?)",
                [(user_key, message_id, iso(now)) for message_id in message_ids],
            )

    async def take_chat_messages(self, user_key: str, now: datetime) -> list[int]:
        """The ids still deletable, forgotten as they are handed out."""
        dated = await self.take_dated_chat_messages(user_key, now)
        return [message_id for message_id, _at in dated]

    async def take_dated_chat_messages(
        self, user_key: str, now: datetime
    ) -> list[tuple[int, datetime]]:
        """The same, each with when it was sent (or received)."""
        since = iso(now - timedelta(hours=CLEARABLE_HOURS))
        async with self.write_lock:
            async with self._db.execute(
                "SELECT message_id, at FROM chat_messages WHERE user_key = ? AND at >= ? "
                "ORDER BY message_id",
                (user_key, since),
            ) as cursor:
                rows = [(int(row[0]), from_iso(row[1])) async for row in cursor]
            await self._db.execute("DELETE FROM chat_messages WHERE user_key = ?", (user_key,))
        return rows

    async def first_sight(self, key: str, user_key: str, now: datetime) -> bool:
        """True the first time a message key is seen; False for a message handled before.
        The person's pseudonym goes with it so /forget removes it."""
        async with self.write_lock:
            cursor = await self._db.execute(
                "INSERT OR IGNORE INTO seen_messages (key, at, user_key) VALUES (?, ?, ?)",
                (key, iso(now), user_key),
            )
        return cursor.rowcount == 1

    async def forget(self, user_key: str, now: datetime) -> Forgotten:
        """Everything about one person, in one transaction. Counters, which hold no key, stay.
        The chat's message ids stay for the channel's clearing, which takes them next."""
        upcoming = await self.upcoming_for(user_key, now)
        async with self.transaction():
            gone = await self._bury_threads("user_key = ?", (user_key,), now)
            for appointment in upcoming:
                await self._count(now, appointment.type, appointment.location, "cancelled")
            cursor = await self._db.execute(
                "DELETE FROM appointments WHERE user_key = ?", (user_key,)
            )
            appointments = cursor.rowcount
            cursor = await self._db.execute("DELETE FROM tickets WHERE user_key = ?", (user_key,))
            conversations = cursor.rowcount
            await self._db.execute("DELETE FROM users WHERE user_key = ?", (user_key,))
            await self._db.execute("DELETE FROM seen_messages WHERE user_key = ?", (user_key,))
        await self.checkpoint()
        return Forgotten(upcoming, appointments, conversations, gone)

    async def _bury_threads(
        self, where: str, args: tuple[object, ...], now: datetime
    ) -> list[GoneConversation]:
        """The topics of the conversations about to be deleted, remembered by topic id only."""
        rows = await self._db.execute_fetchall(
            f"SELECT pseudonym, thread_id FROM tickets WHERE thread_id IS NOT NULL AND {where}",
            args,
        )
        gone = [GoneConversation(str(pseudonym), int(thread)) for pseudonym, thread in rows]
        await self._db.executemany(
            "INSERT OR REPLACE INTO gone_threads (thread_id, at) VALUES (?, ?)",
            [(conversation.thread_id, iso(now)) for conversation in gone],
        )
        return gone

    async def thread_is_gone(self, thread_id: int) -> bool:
        async with self._db.execute(
            "SELECT 1 FROM gone_threads WHERE thread_id = ?", (thread_id,)
        ) as cursor:
            return await cursor.fetchone() is not None

    async def purge_expired(
        self,
        now: datetime,
        today: date,
        closed_conversation_days: int,
        appointment_days: int,
        inactive_user_days: int,
    ) -> Purged:
        expired = iso(now - timedelta(days=closed_conversation_days))
        stale = (today - timedelta(days=inactive_user_days)).isoformat()
        async with self.transaction():
            gone = await self._bury_threads(
                "((status = 'closed' AND closed_at < ?) OR user_key IN "
                "(SELECT user_key FROM users WHERE last_seen < ?))",
                (expired, stale),
                now,
            )
            cursor = await self._db.execute(
                "DELETE FROM tickets WHERE status = 'closed' AND closed_at < ?", (expired,)
            )
            conversations = cursor.rowcount
            cursor = await self._db.execute(
                "DELETE FROM appointments WHERE starts_at < ?",
                (iso(now - timedelta(days=appointment_days)),),
            )
            appointments = cursor.rowcount
            for table in ("appointments", "tickets"):
                await self._db.execute(
                    f"DELETE FROM {table} WHERE user_key IN "
                    "(SELECT user_key FROM users WHERE last_seen < ?)",
                    (stale,),
                )
            cursor = await self._db.execute("DELETE FROM users WHERE last_seen < ?", (stale,))
            people = cursor.rowcount
            await self._db.execute(
                "DELETE FROM chat_messages WHERE at < ?",
                (iso(now - timedelta(hours=CLEARABLE_HOURS)),),
            )
            await self._db.execute(
                "DELETE FROM seen_messages WHERE at < ?",
                (iso(now - timedelta(hours=SEEN_MESSAGE_HOURS)),),
            )
            await self._db.execute(
                "DELETE FROM gone_threads WHERE at < ?",
                (iso(now - timedelta(days=GONE_THREAD_DAYS)),),
            )
        await self.checkpoint()
        return Purged(conversations, appointments, people, gone)
