"""Booking in the database: capacity under a race, replayed confirmations, moves, reminders."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.booking import new_code, normalise_code
from bot.store import Keys, Store

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
SLOT = datetime(2026, 11, 24, 13, 0, tzinfo=UTC)


async def _book(store: Store, who: str, request: str, capacity: int = 1, **extra: object):
    return await store.book(
        code=new_code(),
        user_key=who,
        kind="rapid_test",
        location="charleroi",
        starts_at=SLOT,
        capacity=capacity,
        language="fr",
        nickname=None,
        reminders=[SLOT - timedelta(hours=24), SLOT - timedelta(hours=2)],
        detailed=False,
        request_id=request,
        now=NOW,
        **extra,  # type: ignore[arg-type]
    )


async def test_many_simultaneous_bookings_for_the_last_place(tmp_path: Path) -> None:
    keys = Keys(b"k" * 40)
    first = await Store.open(tmp_path / "db.sqlite3", keys)
    # A second connection stands for a second process writing to the same file.
    second = await Store.open(tmp_path / "db.sqlite3", keys)
    try:
        taken = await _book(first, "someone-else", "r0", capacity=2)
        assert taken.result == "booked"
        outcomes = await asyncio.gather(
            *(
                _book(first if i % 2 else second, f"person-{i}", f"r{i + 1}", capacity=2)
                for i in range(30)
            )
        )
        results = [o.result for o in outcomes]
        assert results.count("booked") == 1
        assert results.count("full") == 29
        counts = await first.booked_counts(
            "rapid_test", "charleroi", SLOT, SLOT + timedelta(minutes=1)
        )
        assert counts == {SLOT: 2}
    finally:
        await first.close()
        await second.close()


async def test_a_replayed_confirmation_books_nothing_more(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "db.sqlite3", Keys(b"k" * 40))
    try:
        once = await _book(store, "me", "same-request", capacity=5)
        again = await _book(store, "me", "same-request", capacity=5)
        assert once.result == "booked" and again.result == "replayed"
        assert again.appointment is not None and once.appointment is not None
        assert again.appointment.code == once.appointment.code
        assert len(await store.upcoming_for("me", NOW)) == 1
    finally:
        await store.close()


async def test_a_move_to_a_full_slot_keeps_the_old_appointment(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "db.sqlite3", Keys(b"k" * 40))
    try:
        await _book(store, "other", "a")
        mine = await store.book(
            code=new_code(), user_key="me", kind="rapid_test", location="charleroi",
            starts_at=SLOT + timedelta(hours=1), capacity=1, language="fr", nickname="Rose",
            reminders=[], detailed=False, request_id="b", now=NOW,
        )  # fmt: skip
        assert mine.appointment is not None and mine.appointment.nickname == "Rose"
        moved = await _book(store, "me", "c", replacing=mine.appointment.code)
        assert moved.result == "full"
        still = await store.appointment(mine.appointment.code)
        assert still is not None and still.status == "booked"
    finally:
        await store.close()


async def test_reminders_are_claimed_once_and_never_for_cancelled(tmp_path: Path) -> None:
    keys = Keys(b"k" * 40)
    store = await Store.open(tmp_path / "db.sqlite3", keys)
    booked = await _book(store, "me", "r", capacity=3)
    other = await _book(store, "you", "s", capacity=3)
    assert booked.appointment and other.appointment
    await store.cancel(other.appointment.code, "you", NOW)
    due = await store.due_reminders(SLOT - timedelta(hours=23))
    assert [a.code for _id, a in due] == [booked.appointment.code]
    reminder_id = due[0][0]
    assert await store.claim_reminder(reminder_id, NOW)
    await store.close()
    # After a restart the claimed reminder is not due again.
    store = await Store.open(tmp_path / "db.sqlite3", keys)
    try:
        assert not await store.claim_reminder(reminder_id, NOW)
        assert await store.due_reminders(SLOT - timedelta(hours=23)) == []
        assert {row[3] for row in await store.counts()} == {"booked", "cancelled"}
    finally:
        await store.close()


def test_codes_are_unambiguous() -> None:
    codes = {new_code() for _ in range(2000)}
    assert len(codes) > 1990
    assert all(len(c) == 7 and c[3] == "-" for c in codes)
    assert not any(ch in code for code in codes for ch in "0O1IL5S8B")
    assert normalise_code("acd 234") == "ACD-234"
