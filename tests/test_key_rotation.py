"""Key rotation: everything sealed is re-sealed, people are renamed when they come back."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidTag

from bot.conversation import Event, FloodGuard, Person
from bot.runtime import open_runtime
from bot.settings import load_settings
from bot.store import Keys
from tests.conftest import FakeClock

OLD, NEW = "old-secret-key-" + "a" * 30, "new-secret-key-" + "b" * 30


async def _walk(conversation, person: Person, steps: list[Event]) -> str:  # type: ignore[no-untyped-def]
    text = ""
    for event in steps:
        replies = await conversation.handle(event)
        text = "\n".join(r.text for r in replies)
    return text


async def test_rotation_keeps_people_and_their_appointments(
    tmp_path: Path, clock: FakeClock
) -> None:
    person = Person("telegram", "5550001111", "5550001111", language_hint="en")
    env = {"BOT_DATA_DIR": str(tmp_path), "BOT_SECRET_KEY": OLD}
    async with open_runtime(load_settings(env), clock) as runtime:
        runtime.conversation.flood = FloodGuard(events=10_000)
        c = runtime.conversation
        await c.handle(Event(person, command="start"))
        await c.handle(Event(person, action="bt:rapid_test"))
        await c.handle(Event(person, action="br:rapid_test:old"))
        await c.handle(Event(person, action="bd:rapid_test:charleroi:20261124"))
        await c.handle(Event(person, action="bs:rapid_test:charleroi:202611241230"))
        await c.handle(Event(person, action="bo:nick"))
        await c.handle(Event(person, text="Rose"))
        token = (await runtime.store.load_profile(c.user_key(person))).state["booking"]["token"]  # type: ignore[union-attr]
        booked = await _walk(c, person, [Event(person, action=f"bc:{token}")])
        assert "Booked." in booked
        old_key = c.user_key(person)

    rotated = {**env, "BOT_SECRET_KEY": NEW, "BOT_SECRET_KEY_PREVIOUS": OLD}
    async with open_runtime(load_settings(rotated), clock) as runtime:
        c = runtime.conversation
        mine = await _walk(c, person, [Event(person, command="appointments")])
        assert "Rapid test" in mine and "13:30" in mine
        new_key = c.user_key(person)
        assert new_key != old_key
        appointment = (await runtime.store.upcoming_for(new_key, clock.now))[0]
        assert appointment.nickname == "Rose"

    with sqlite3.connect(tmp_path / "parapluie.sqlite3") as db:
        keys = {row[0] for row in db.execute("SELECT user_key FROM users")}
        sealed = db.execute("SELECT code, nickname FROM appointments").fetchone()
    assert keys == {new_key}
    new, old = Keys(NEW.encode()), Keys(OLD.encode())
    assert new.unseal(sealed[1], sealed[0]) == "Rose"
    with pytest.raises(InvalidTag):  # the old key opens nothing any more
        old.unseal(sealed[1], sealed[0])
