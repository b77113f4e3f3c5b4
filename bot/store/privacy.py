"""Forgetting a person and purging what has outlived its use."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from bot.store.bookings import Appointment, BookingQueries, iso


@dataclass(frozen=True)
class Forgotten:
    cancelled: list[Appointment]  # upcoming appointments the team must hear about
    appointments: int
    conversations: int


@dataclass(frozen=True)
class Purged:
    conversations: int
    appointments: int
    people: int


class PrivacyQueries(BookingQueries):
    async def forget(self, user_key: str, now: datetime) -> Forgotten:
        """Everything about one person, in one transaction. Counters, which hold no key, stay."""
        upcoming = await self.upcoming_for(user_key, now)
        async with self.transaction():
            for appointment in upcoming:
                await self._count(now, appointment.type, appointment.location, "cancelled")
            cursor = await self._db.execute(
                "DELETE FROM appointments WHERE user_key = ?", (user_key,)
            )
            appointments = cursor.rowcount
            cursor = await self._db.execute("DELETE FROM tickets WHERE user_key = ?", (user_key,))
            conversations = cursor.rowcount
            await self._db.execute("DELETE FROM users WHERE user_key = ?", (user_key,))
        return Forgotten(upcoming, appointments, conversations)

    async def purge_expired(
        self,
        now: datetime,
        today: date,
        closed_conversation_days: int,
        appointment_days: int,
        inactive_user_days: int,
    ) -> Purged:
        async with self.transaction():
            cursor = await self._db.execute(
                "DELETE FROM tickets WHERE status = 'closed' AND closed_at < ?",
                (iso(now - timedelta(days=closed_conversation_days)),),
            )
            conversations = cursor.rowcount
            cursor = await self._db.execute(
                "DELETE FROM appointments WHERE starts_at < ?",
                (iso(now - timedelta(days=appointment_days)),),
            )
            appointments = cursor.rowcount
            stale = (today - timedelta(days=inactive_user_days)).isoformat()
            for table in ("appointments", "tickets"):
                await self._db.execute(
                    f"DELETE FROM {table} WHERE user_key IN "
                    "(SELECT user_key FROM users WHERE last_seen < ?)",
                    (stale,),
                )
            cursor = await self._db.execute("DELETE FROM users WHERE last_seen < ?", (stale,))
            people = cursor.rowcount
        return Purged(conversations, appointments, people)
