"""Appointment queries. Capacity is enforced inside one write transaction."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bot.store.base import Rollback, StoreBase

ACTIVE = "booked"


@dataclass(frozen=True)
class Appointment:
    id: int
    code: str
    user_key: str
    type: str
    location: str
    starts_at: datetime
    language: str
    nickname: str | None
    status: str
    reminders: bool
    detailed: bool


@dataclass(frozen=True)
class BookingOutcome:
    appointment: Appointment | None
    # "booked", "full" (the slot was taken meanwhile), "replayed" (this confirmation was
    # already used), or "gone" (the appointment to move no longer exists or is past cut-off).
    result: str


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def from_iso(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


COLUMNS = (
    "id, code, user_key, type, location, starts_at, language, nickname, status, reminders, detailed"
)


class BookingQueries(StoreBase):
    def _appointment(self, row: sqlite3.Row | tuple[Any, ...]) -> Appointment:
        ident, code, user_key, kind, location, starts, language, sealed, status, rem, det = row
        return Appointment(
            id=ident,
            code=code,
            user_key=user_key,
            type=kind,
            location=location,
            starts_at=from_iso(starts),
            language=language,
            nickname=self._keys.unseal(sealed, code) if sealed else None,
            status=status,
            reminders=bool(rem),
            detailed=bool(det),
        )

    async def booked_counts(
        self, kind: str, location: str, start: datetime, end: datetime
    ) -> dict[datetime, int]:
        async with self._db.execute(
            "SELECT starts_at, COUNT(*) FROM appointments WHERE type = ? AND location = ? "
            "AND status = ? AND starts_at >= ? AND starts_at < ? GROUP BY starts_at",
            (kind, location, ACTIVE, iso(start), iso(end)),
        ) as cursor:
            return {from_iso(row[0]): int(row[1]) async for row in cursor}

    async def book(
        self,
        *,
        code: str,
        user_key: str,
        kind: str,
        location: str,
        starts_at: datetime,
        capacity: int,
        language: str,
        nickname: str | None,
        reminders: list[datetime],
        detailed: bool,
        request_id: str,
        now: datetime,
        replacing: str | None = None,
    ) -> BookingOutcome:
        """Book the slot if a place is left, in one transaction; optionally cancel the
        appointment being moved in the same transaction, so a move never loses both."""
        outcome = BookingOutcome(None, "booked")
        async with self.transaction():
            async with self._db.execute(
                f"SELECT {COLUMNS} FROM appointments WHERE request_id = ?", (request_id,)
            ) as cursor:
                earlier = await cursor.fetchone()
            if earlier is not None:
                outcome = BookingOutcome(self._appointment(earlier), "replayed")
                raise Rollback
            if replacing is not None:
                moved = await self._db.execute(
                    "UPDATE appointments SET status = 'moved' WHERE code = ? AND user_key = ? "
                    "AND status = ?",
                    (replacing, user_key, ACTIVE),
                )
                if moved.rowcount != 1:
                    outcome = BookingOutcome(None, "gone")
                    raise Rollback
            sealed = self._keys.seal(nickname, code) if nickname else None
            inserted = await self._db.execute(
                """
                INSERT INTO appointments (code, user_key, type, location, starts_at, language,
                    nickname, reminders, detailed, request_id, created_at)
                SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?
                WHERE (SELECT COUNT(*) FROM appointments WHERE type = ? AND location = ?
                       AND starts_at = ? AND status = 'booked') < ?
                """,
                (
                    code, user_key, kind, location, iso(starts_at), language, sealed,
                    int(bool(reminders)), int(detailed), request_id, iso(now),
                    kind, location, iso(starts_at), capacity,
                ),
            )  # fmt: skip
            if inserted.rowcount != 1:
                outcome = BookingOutcome(None, "full")
                raise Rollback
            await self._db.executemany(
                "INSERT INTO reminders (appointment_id, due_at) VALUES (?, ?)",
                [(inserted.lastrowid, iso(moment)) for moment in reminders],
            )
            await self._count(now, kind, location, "moved" if replacing else "booked")
        if outcome.result != "booked":
            return outcome
        return BookingOutcome(await self.appointment(code), "booked")

    async def _count(self, when: datetime, kind: str, location: str, event: str) -> None:
        await self._db.execute(
            "INSERT INTO booking_counts (month, type, location, event, count) "
            "VALUES (?, ?, ?, ?, 1) ON CONFLICT (month, type, location, event) "
            "DO UPDATE SET count = count + 1",
            (when.astimezone(UTC).strftime("%Y-%m"), kind, location, event),
        )

    async def appointment(self, code: str) -> Appointment | None:
        async with self._db.execute(
            f"SELECT {COLUMNS} FROM appointments WHERE code = ?", (code,)
        ) as cursor:
            row = await cursor.fetchone()
        return self._appointment(row) if row else None

    async def appointment_by_request(self, request_id: str) -> Appointment | None:
        async with self._db.execute(
            f"SELECT {COLUMNS} FROM appointments WHERE request_id = ?", (request_id,)
        ) as cursor:
            row = await cursor.fetchone()
        return self._appointment(row) if row else None

    async def upcoming_for(self, user_key: str, now: datetime) -> list[Appointment]:
        async with self._db.execute(
            f"SELECT {COLUMNS} FROM appointments WHERE user_key = ? AND status = ? "
            "AND starts_at >= ? ORDER BY starts_at",
            (user_key, ACTIVE, iso(now)),
        ) as cursor:
            return [self._appointment(row) async for row in cursor]

    async def cancel(self, code: str, user_key: str, now: datetime) -> Appointment | None:
        found: Appointment | None = None
        async with self.transaction():
            cursor = await self._db.execute(
                "UPDATE appointments SET status = 'cancelled' WHERE code = ? AND user_key = ? "
                "AND status = ?",
                (code, user_key, ACTIVE),
            )
            if cursor.rowcount == 1:
                found = await self.appointment(code)
                assert found is not None
                await self._count(now, found.type, found.location, "cancelled")
        return found

    async def mark(self, code: str, status: str, now: datetime) -> Appointment | None:
        """Staff: done or missed."""
        found: Appointment | None = None
        async with self.transaction():
            cursor = await self._db.execute(
                "UPDATE appointments SET status = ? WHERE code = ? AND status = ?",
                (status, code, ACTIVE),
            )
            if cursor.rowcount == 1:
                found = await self.appointment(code)
                assert found is not None
                await self._count(found.starts_at, found.type, found.location, status)
        return found

    async def agenda(self, start: datetime, end: datetime) -> list[Appointment]:
        async with self._db.execute(
            f"SELECT {COLUMNS} FROM appointments WHERE starts_at >= ? AND starts_at < ? "
            "AND status IN ('booked', 'done', 'missed') ORDER BY location, starts_at, type",
            (iso(start), iso(end)),
        ) as cursor:
            return [self._appointment(row) async for row in cursor]

    async def due_reminders(self, now: datetime) -> list[tuple[int, Appointment]]:
        """Reminders due and unsent, for appointments still booked and still ahead."""
        async with self._db.execute(
            f"SELECT r.id, {', '.join('a.' + c.strip() for c in COLUMNS.split(','))} "
            "FROM reminders r JOIN appointments a ON a.id = r.appointment_id "
            "WHERE r.sent_at IS NULL AND r.due_at <= ? AND a.status = ? AND a.starts_at > ? "
            "ORDER BY r.due_at",
            (iso(now), ACTIVE, iso(now)),
        ) as cursor:
            return [(row[0], self._appointment(row[1:])) async for row in cursor]

    async def claim_reminder(self, reminder_id: int, now: datetime) -> bool:
        """Mark a reminder as sent before sending it: a restart can never send it twice."""
        async with self.write_lock:
            cursor = await self._db.execute(
                "UPDATE reminders SET sent_at = ? WHERE id = ? AND sent_at IS NULL",
                (iso(now), reminder_id),
            )
        return cursor.rowcount == 1

    async def release_reminder(self, reminder_id: int) -> None:
        """The send failed (network, Telegram error): let the next round try again."""
        async with self.write_lock:
            await self._db.execute(
                "UPDATE reminders SET sent_at = NULL WHERE id = ?", (reminder_id,)
            )

    async def counts(self) -> list[tuple[str, str, str, str, int]]:
        async with self._db.execute(
            "SELECT month, type, location, event, count FROM booking_counts "
            "ORDER BY month, type, location, event"
        ) as cursor:
            return [(str(r[0]), str(r[1]), str(r[2]), str(r[3]), int(r[4])) async for r in cursor]

    async def setting(self, key: str) -> str | None:
        async with self._db.execute(
            "SELECT value FROM bot_settings WHERE key = ?", (key,)
        ) as cursor:
            row = await cursor.fetchone()
        return str(row[0]) if row else None

    async def set_setting(self, key: str, value: str) -> None:
        async with self.write_lock:
            await self._db.execute(
                "INSERT INTO bot_settings (key, value) VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, value),
            )
