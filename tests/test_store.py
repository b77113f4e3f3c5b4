"""The SQLite store: migrations, WAL, pseudonyms and sealed addresses."""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidTag

from bot.outbound import Outbound
from bot.store import Keys, Profile, Store
from bot.store.migrations import MIGRATIONS
from bot.store.tickets import StaffNotice


async def test_migrations_apply_once_and_use_wal(tmp_path: Path) -> None:
    keys = Keys(b"s" * 40)
    path = tmp_path / "db.sqlite3"
    store = await Store.open(path, keys)
    assert await store.schema_version() == len(MIGRATIONS)
    await store.close()
    store = await Store.open(path, keys)  # a second start applies nothing and fails nothing
    assert await store.schema_version() == len(MIGRATIONS)
    await store.close()
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


async def test_refuses_a_database_from_a_newer_release(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    with pytest.raises(RuntimeError, match="newer than this code"):
        await Store.open(path, Keys(b"s" * 40))


async def test_profile_is_stored_under_a_pseudonym_with_a_sealed_address(tmp_path: Path) -> None:
    keys = Keys(b"s" * 40)
    store = await Store.open(tmp_path / "db.sqlite3", keys)
    user_key = keys.pseudonym("telegram", "5550001234")
    await store.save_profile(
        Profile(user_key, "telegram", "5550001234", "nl", {"offered": ["menu"]}), date(2026, 11, 22)
    )
    loaded = await store.load_profile(user_key)
    await store.close()
    assert loaded is not None
    assert (loaded.address, loaded.language, loaded.state) == (
        "5550001234",
        "nl",
        {"offered": ["menu"]},
    )
    with sqlite3.connect(tmp_path / "db.sqlite3") as db:
        row = db.execute("SELECT user_key, address, first_seen FROM users").fetchone()
    assert row[0] == user_key and "5550001234" not in row[0]
    assert b"5550001234" not in row[1]
    assert row[2] == "2026-11-22"


def test_pseudonyms_depend_on_the_key_and_the_channel() -> None:
    one, other = Keys(b"a" * 40), Keys(b"b" * 40)
    assert one.pseudonym("telegram", "42") == one.pseudonym("telegram", "42")
    assert one.pseudonym("telegram", "42") != other.pseudonym("telegram", "42")
    assert one.pseudonym("telegram", "42") != one.pseudonym("signal", "42")


def test_a_sealed_address_cannot_be_moved_to_another_row() -> None:
    keys = Keys(b"a" * 40)
    sealed = keys.seal("5550001234", "row-one")
    assert keys.unseal(sealed, "row-one") == "5550001234"
    with pytest.raises(InvalidTag):
        keys.unseal(sealed, "row-two")


async def test_staff_notices_survive_a_failed_post_and_a_restart(tmp_path: Path) -> None:
    """Notices are stored before they are posted, posted in order, and kept until posted."""
    keys = Keys(b"test-secret-key-that-is-long-enough-0123456789")
    now = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
    posted: list[str] = []
    refusals = [RuntimeError("the staff group is unreachable")]

    async def post(notice: StaffNotice) -> None:
        if refusals:
            raise refusals.pop()
        posted.append(notice.text)

    store = await Store.open(tmp_path / "bot.sqlite3", keys)
    outbound = Outbound(store, lambda: now)
    outbound.register_staff(post)
    await outbound.to_staff("Nouveau rendez-vous ABC-DEF")
    await outbound.to_staff("Rendez-vous annulé ABC-DEF")
    await outbound.drain(timeout=0.2)  # the first post failed: both wait, stored
    assert posted == []
    await store.close()
    for path in tmp_path.iterdir():  # the database and its write-ahead log
        assert b"ABC-DEF" not in path.read_bytes()  # sealed while waiting

    store = await Store.open(tmp_path / "bot.sqlite3", keys)  # the next start
    outbound = Outbound(store, lambda: now)
    outbound.register_staff(post)
    await outbound.drain()
    assert posted == ["Nouveau rendez-vous ABC-DEF", "Rendez-vous annulé ABC-DEF"]
    assert await store.staff_notices() == []
    await store.close()
