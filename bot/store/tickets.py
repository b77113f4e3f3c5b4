"""Conversations with the team (tickets) and the persistent outbox that relays them."""

from __future__ import annotations

import json
import secrets
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.store.base import StoreBase
from bot.store.bookings import from_iso, iso

# Neutral first names: a pseudonym staff can say aloud, that tells nothing about the person.
PSEUDONYM_NAMES = (
    "Iris", "Lila", "Nora", "Alma", "Rosa", "Luna", "Mira", "Ada", "Ivy", "Maya", "Zoe", "Lea",
    "Ana", "Eva", "Nina", "Sara", "Vera", "Yara", "Jade", "Lou", "Noa", "Sol", "Tom", "Leo",
    "Max", "Sam", "Alex", "Robin", "Kim", "Eli",
)  # fmt: skip


@dataclass(frozen=True)
class Ticket:
    id: int
    user_key: str
    pseudonym: str
    language: str
    subject: str | None
    status: str
    thread_id: int | None
    opened_at: datetime
    closed_at: datetime | None
    waiting_since: datetime | None
    rating: int | None


@dataclass(frozen=True)
class OutboxItem:
    id: int
    ticket_id: int
    direction: str  # "to_staff" or "to_person"
    payload: dict[str, Any]
    source: str
    attempts: int


TICKET_COLUMNS = (
    "id, user_key, pseudonym, language, subject, status, thread_id, opened_at, closed_at, "
    "waiting_since, rating"
)


def _ticket(row: sqlite3.Row | tuple[Any, ...]) -> Ticket:
    (
        ident,
        user_key,
        pseudonym,
        language,
        subject,
        status,
        thread,
        opened,
        closed,
        waiting,
        rating,
    ) = row
    return Ticket(
        ident, user_key, pseudonym, language, subject, status, thread, from_iso(opened),
        from_iso(closed) if closed else None, from_iso(waiting) if waiting else None, rating,
    )  # fmt: skip


class TicketQueries(StoreBase):
    async def _one_ticket(self, where: str, args: tuple[Any, ...]) -> Ticket | None:
        async with self._db.execute(
            f"SELECT {TICKET_COLUMNS} FROM tickets WHERE {where}", args
        ) as c:
            row = await c.fetchone()
        return _ticket(row) if row else None

    async def ticket(self, ticket_id: int) -> Ticket | None:
        return await self._one_ticket("id = ?", (ticket_id,))

    async def ticket_by_thread(self, thread_id: int) -> Ticket | None:
        return await self._one_ticket("thread_id = ? ORDER BY id DESC LIMIT 1", (thread_id,))

    async def ticket_by_staff_message(self, message_id: int) -> Ticket | None:
        return await self._one_ticket(
            "id = (SELECT ticket_id FROM staff_messages WHERE message_id = ?)", (message_id,)
        )

    async def latest_ticket_for(self, user_key: str) -> Ticket | None:
        return await self._one_ticket("user_key = ? ORDER BY id DESC LIMIT 1", (user_key,))

    async def open_tickets(self) -> list[Ticket]:
        async with self._db.execute(
            f"SELECT {TICKET_COLUMNS} FROM tickets WHERE status = 'open' ORDER BY opened_at"
        ) as cursor:
            return [_ticket(row) async for row in cursor]

    async def open_ticket(
        self, user_key: str, language: str, subject: str | None, now: datetime, reopen_hours: int
    ) -> Ticket:
        """The person's open conversation; a recently closed one reopened; or a new one."""
        async with self.transaction():
            latest = await self.latest_ticket_for(user_key)
            recent = latest is not None and (
                latest.status == "open"
                or (latest.closed_at and now - latest.closed_at <= timedelta(hours=reopen_hours))
            )
            if latest is not None and recent:
                if latest.status == "closed":
                    # The team hears of it first, so the topic is open again before the
                    # person's next message arrives there.
                    source = f"reopen:{latest.id}:{iso(now)}"
                    sealed = self._keys.seal(json.dumps({"kind": "reopened"}), source)
                    await self._db.execute(
                        "INSERT INTO outbox (ticket_id, direction, payload, source, not_before) "
                        "VALUES (?, 'to_staff', ?, ?, ?)",
                        (latest.id, sealed, source, iso(now)),
                    )
                    self.outbox_changed.set()
                await self._db.execute(
                    "UPDATE tickets SET status = 'open', closed_at = NULL, language = ? "
                    "WHERE id = ?",
                    (language, latest.id),
                )
                ticket_id = latest.id
            else:
                pseudonym = await self._free_pseudonym()
                cursor = await self._db.execute(
                    "INSERT INTO tickets (user_key, pseudonym, language, subject, opened_at) "
                    "VALUES (?, ?, ?, ?, ?)",
                    (user_key, pseudonym, language, subject, iso(now)),
                )
                ticket_id = int(cursor.lastrowid or 0)
        found = await self.ticket(ticket_id)
        assert found is not None
        return found

    async def _free_pseudonym(self) -> str:
        """A name no open conversation uses (looked up one candidate at a time: with a
        thousand conversations open, reading them all for each new one was the slow part)."""
        name = ""
        for _attempt in range(1000):
            name = f"{secrets.choice(PSEUDONYM_NAMES)}-{secrets.randbelow(90) + 10}"
            async with self._db.execute(
                "SELECT 1 FROM tickets WHERE status = 'open' AND pseudonym = ? LIMIT 1", (name,)
            ) as cursor:
                if await cursor.fetchone() is None:
                    return name
        return name

    async def set_thread(self, ticket_id: int, thread_id: int | None) -> None:
        async with self.write_lock:
            await self._db.execute(
                "UPDATE tickets SET thread_id = ? WHERE id = ?", (thread_id, ticket_id)
            )

    async def close_ticket(self, ticket_id: int, now: datetime) -> Ticket | None:
        async with self.write_lock:
            cursor = await self._db.execute(
                "UPDATE tickets SET status = 'closed', closed_at = ?, waiting_since = NULL "
                "WHERE id = ? AND status = 'open'",
                (iso(now), ticket_id),
            )
        return await self.ticket(ticket_id) if cursor.rowcount == 1 else None

    async def rate_ticket(self, ticket_id: int, user_key: str, rating: int) -> bool:
        async with self.write_lock:
            cursor = await self._db.execute(
                "UPDATE tickets SET rating = ? WHERE id = ? AND user_key = ?",
                (rating, ticket_id, user_key),
            )
        return cursor.rowcount == 1

    async def remember_staff_message(self, message_id: int, ticket_id: int) -> None:
        async with self.write_lock:
            await self._db.execute(
                "INSERT OR REPLACE INTO staff_messages (message_id, ticket_id) VALUES (?, ?)",
                (message_id, ticket_id),
            )

    async def remember_copy(self, source: str, staff_message_id: int, ticket_id: int) -> None:
        async with self.write_lock:
            await self._db.execute(
                "INSERT OR REPLACE INTO relay_copies (source, staff_message_id, ticket_id) "
                "VALUES (?, ?, ?)",
                (source, staff_message_id, ticket_id),
            )

    async def copy_of(self, source: str) -> tuple[int, int] | None:
        """(ticket id, staff message id) of a relayed message, by its source key."""
        async with self._db.execute(
            "SELECT ticket_id, staff_message_id FROM relay_copies WHERE source = ?", (source,)
        ) as cursor:
            row = await cursor.fetchone()
        return (int(row[0]), int(row[1])) if row else None

    async def drop_pending(self, ticket_id: int, direction: str) -> int:
        """Deletes what still waits in one direction of a conversation; how many."""
        async with self.write_lock:
            cursor = await self._db.execute(
                "DELETE FROM outbox WHERE ticket_id = ? AND direction = ?", (ticket_id, direction)
            )
        return cursor.rowcount

    async def pending_ticket_of(self, source: str) -> int | None:
        """The conversation of a message still in the outbox (or being delivered right now)."""
        async with self._db.execute(
            "SELECT ticket_id FROM outbox WHERE source = ?", (source,)
        ) as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else None

    async def signature(self, staff_key: str) -> str | None:
        async with self._db.execute(
            "SELECT signature FROM staff_signatures WHERE staff_key = ?", (staff_key,)
        ) as cursor:
            row = await cursor.fetchone()
        return str(row[0]) if row else None

    async def set_signature(self, staff_key: str, signature: str | None) -> None:
        async with self.write_lock:
            if signature:
                await self._db.execute(
                    "INSERT OR REPLACE INTO staff_signatures (staff_key, signature) VALUES (?, ?)",
                    (staff_key, signature),
                )
            else:
                await self._db.execute(
                    "DELETE FROM staff_signatures WHERE staff_key = ?", (staff_key,)
                )

    # --- blocks (/block, /unblock) -----------------------------------------------------------
    async def block(self, ticket_id: int, until: datetime) -> None:
        """On the person's conversation, so /forget and the purge take it with the rest."""
        async with self.write_lock:
            await self._db.execute(
                "UPDATE tickets SET blocked_until = ?, block_told = 0 WHERE id = ?",
                (iso(until), ticket_id),
            )

    async def unblock(self, ticket_id: int) -> bool:
        """Lifts every block of the person this conversation belongs to."""
        async with self.write_lock:
            cursor = await self._db.execute(
                "UPDATE tickets SET blocked_until = NULL WHERE blocked_until IS NOT NULL AND "
                "user_key = (SELECT user_key FROM tickets WHERE id = ?)",
                (ticket_id,),
            )
        return cursor.rowcount > 0

    async def blocked_until(self, user_key: str, now: datetime) -> datetime | None:
        """When the person's block ends, if one holds now (a later conversation too)."""
        async with self._db.execute(
            "SELECT MAX(blocked_until) FROM tickets WHERE user_key = ? AND blocked_until > ?",
            (user_key, iso(now)),
        ) as cursor:
            row = await cursor.fetchone()
        return from_iso(row[0]) if row and row[0] else None

    async def tell_of_block(self, user_key: str, now: datetime) -> bool:
        """True once per block: the person hears of it at their first message, not at each."""
        async with self.write_lock:
            cursor = await self._db.execute(
                "UPDATE tickets SET block_told = 1 WHERE user_key = ? AND blocked_until > ? "
                "AND block_told = 0",
                (user_key, iso(now)),
            )
        return cursor.rowcount > 0

    # --- outbox --------------------------------------------------------------------------------
    async def enqueue(
        self,
        ticket_id: int,
        direction: str,
        payload: dict[str, Any],
        source: str,
        now: datetime,
        held: bool = False,
        notice: bool = False,
    ) -> bool:
        """Record a message to relay; False when this source was queued or relayed before.
        A held message waits, out of the queue, until `release_held`. A `notice` from the bot
        itself neither makes the conversation wait for the team nor counts as its answer."""
        sealed = self._keys.seal(json.dumps(payload), source)
        async with self.transaction():
            async with self._db.execute("SELECT 1 FROM delivered WHERE source = ?", (source,)) as c:
                if await c.fetchone() is not None:
                    return False
            cursor = await self._db.execute(
                "INSERT OR IGNORE INTO outbox "
                "(ticket_id, direction, payload, source, not_before, held) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (ticket_id, direction, sealed, source, iso(now), int(held)),
            )
            if notice:
                pass
            elif direction == "to_staff":
                await self._db.execute(
                    "UPDATE tickets SET waiting_since = COALESCE(waiting_since, ?) WHERE id = ?",
                    (iso(now), ticket_id),
                )
            else:
                await self._db.execute(
                    "UPDATE tickets SET waiting_since = NULL WHERE id = ?", (ticket_id,)
                )
        self.outbox_changed.set()
        return cursor.rowcount == 1

    async def tickets_with_pending(self, now: datetime) -> list[int]:
        async with self._db.execute(
            "SELECT DISTINCT ticket_id FROM outbox WHERE not_before <= ? AND held = 0 "
            "ORDER BY ticket_id",
            (iso(now),),
        ) as cursor:
            return [int(row[0]) async for row in cursor]

    async def next_in_outbox(self, ticket_id: int) -> OutboxItem | None:
        """The oldest item of one conversation: items are relayed in order per conversation."""
        async with self._db.execute(
            "SELECT id, ticket_id, direction, payload, source, attempts, not_before FROM outbox "
            "WHERE ticket_id = ? AND held = 0 ORDER BY id LIMIT 1",
            (ticket_id,),
        ) as cursor:
            row = await cursor.fetchone()
        if row is None:
            return None
        ident, ticket, direction, sealed, source, attempts, _not_before = row
        payload = json.loads(self._keys.unseal(sealed, source))
        return OutboxItem(ident, ticket, direction, payload, source, attempts)

    async def outbox_wait(self, ticket_id: int) -> datetime | None:
        async with self._db.execute(
            "SELECT not_before FROM outbox WHERE ticket_id = ? AND held = 0 ORDER BY id LIMIT 1",
            (ticket_id,),
        ) as cursor:
            row = await cursor.fetchone()
        return from_iso(row[0]) if row else None

    async def delivered(self, item: OutboxItem) -> None:
        """Delete the item (its sealed reference goes with it) and remember its source."""
        async with self.transaction():
            await self._db.execute("DELETE FROM outbox WHERE id = ?", (item.id,))
            # The conversation may have been deleted meanwhile (/forget): nothing to remember.
            await self._db.execute(
                "INSERT OR IGNORE INTO delivered (source, ticket_id) "
                "SELECT ?, id FROM tickets WHERE id = ?",
                (item.source, item.ticket_id),
            )

    async def postpone(self, item: OutboxItem, until: datetime) -> None:
        async with self.write_lock:
            await self._db.execute(
                "UPDATE outbox SET attempts = attempts + 1, not_before = ? WHERE id = ?",
                (iso(until), item.id),
            )

    async def hold_for_person(self, user_key: str) -> int:
        """The quick exit: messages from the team still on their way to this person wait
        until they write again. Returns how many were held."""
        async with self.write_lock:
            cursor = await self._db.execute(
                "UPDATE outbox SET held = 1 WHERE direction = 'to_person' AND held = 0 AND "
                "ticket_id IN (SELECT id FROM tickets WHERE user_key = ?)",
                (user_key,),
            )
        return cursor.rowcount

    async def release_held(self, user_key: str) -> int:
        """The person wrote again: what the team wrote meanwhile is delivered now."""
        async with self.write_lock:
            cursor = await self._db.execute(
                "UPDATE outbox SET held = 0 WHERE held = 1 AND "
                "ticket_id IN (SELECT id FROM tickets WHERE user_key = ?)",
                (user_key,),
            )
        if cursor.rowcount:
            self.outbox_changed.set()
        return cursor.rowcount

    async def is_held(self, item_id: int) -> bool:
        async with self._db.execute("SELECT held FROM outbox WHERE id = ?", (item_id,)) as cursor:
            row = await cursor.fetchone()
        return bool(row and row[0])

    async def pace(self, item: OutboxItem, until: datetime) -> None:
        """The item waits its conversation's turn (bot/relay.py StaffPace): not a failure."""
        async with self.write_lock:
            await self._db.execute(
                "UPDATE outbox SET not_before = ? WHERE id = ?", (iso(until), item.id)
            )

    async def postpone_all_now(self) -> None:
        """Make everything waiting due at once (an operator's "retry now", and tests)."""
        async with self.write_lock:
            await self._db.execute("UPDATE outbox SET not_before = '2000-01-01T00:00:00Z'")
        self.outbox_changed.set()

    async def outbox_size(self) -> int:
        async with self._db.execute("SELECT COUNT(*) FROM outbox") as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0


@dataclass(frozen=True)
class StaffNotice:
    """A line for the staff chat: in the appointments topic, or in one conversation's topic,
    closing it (a person who can no longer be reached there)."""

    text: str
    thread_id: int | None = None
    closing: bool = False


class StaffNoticeQueries(StoreBase):
    """Notices for the staff chat, kept until posted (bot/outbound.py posts them in order)."""

    async def queue_staff_notice(self, notice: StaffNotice, now: datetime) -> None:
        key = secrets.token_hex(12)
        async with self.write_lock:
            await self._db.execute(
                "INSERT INTO staff_notices (key, text, at, thread_id, closing) "
                "VALUES (?, ?, ?, ?, ?)",
                (
                    key,
                    self._keys.seal(notice.text, key),
                    iso(now),
                    notice.thread_id,
                    int(notice.closing),
                ),
            )

    async def staff_notices(self) -> list[tuple[str, StaffNotice]]:
        rows = await self._db.execute_fetchall(
            "SELECT key, text, thread_id, closing FROM staff_notices ORDER BY rowid"
        )
        return [
            (str(key), StaffNotice(self._keys.unseal(sealed, str(key)), thread, bool(closing)))
            for key, sealed, thread, closing in rows
        ]

    async def staff_notice_posted(self, key: str) -> None:
        async with self.write_lock:
            await self._db.execute("DELETE FROM staff_notices WHERE key = ?", (key,))
