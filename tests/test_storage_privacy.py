"""Nothing a person typed is stored in clear, nothing is kept longer than its use, and the
files are the bot's alone (issue 13: points 9, 10 and 11)."""

from __future__ import annotations

import sqlite3
import stat
from datetime import timedelta
from pathlib import Path

from bot.retention import purge_expired
from bot.settings import load_settings
from tests.conftest import FakeClock, RunningBot, SignalPerson, TelegramPerson
from tests.fakes.bot_api import FakeBotAPI, FakeUser
from tests.fakes.signal_cli import FakeSignalCli


def database(env: dict[str, str]) -> Path:
    return Path(env["BOT_DATA_DIR"]) / "parapluie.sqlite3"


def raw_bytes(env: dict[str, str]) -> bytes:
    """The database and its write-ahead log, as a disk copy would hold them."""
    db = database(env)
    return b"".join(p.read_bytes() for p in db.parent.glob(db.name + "*") if p.is_file())


async def test_a_nickname_in_the_state_is_sealed_and_gone_with_forget(
    running_bot: RunningBot, bot_api: FakeBotAPI, env: dict[str, str]
) -> None:
    eve = TelegramPerson(
        bot_api, FakeUser(id=5550008001, first_name="Eve", username=None, language_code="en")
    )
    async with running_bot() as runtime:
        menu = await eve.send("/menu")
        topic = await eve.tap(menu, "📅 Appointment")
        types = await eve.tap(topic, "Book an appointment")
        risk = await eve.tap(types, "Rapid test")
        advice = await eve.tap(risk, "Less than 3 days ago")
        days = await eve.tap(advice, "Continue booking")
        times = await eve.tap(days, "Tue, 24 Nov")
        confirm = await eve.tap(times, "13:30")
        await eve.tap(confirm, "Add a nickname")
        await eve.send("Zenobia")  # typed, not yet booked: it lives in the state
        with sqlite3.connect(database(env)) as db:
            (state,) = db.execute("SELECT state FROM users").fetchone()
        assert "Zenobia" not in state and "recent" not in state, "sealed, the risk not kept"
        assert b"Zenobia" not in raw_bytes(env)
        key = runtime.conversation.user_key(eve.core_person())
        profile = await runtime.store.load_profile(key)
        assert profile is not None and profile.state["booking"]["nickname"] == "Zenobia"
        assert profile.state["booking"]["risk"] == "asked"

        with sqlite3.connect(database(env)) as db:
            address, state = db.execute("SELECT address, state FROM users").fetchone()
        question = await eve.send("/forget")
        await eve.tap(question, "Yes, delete everything")
        with sqlite3.connect(database(env)) as db:
            assert db.execute("SELECT COUNT(*) FROM users").fetchone()[0] == 0
        # Neither in the database's free pages nor waiting in its write-ahead log.
        left = raw_bytes(env)
        assert address not in left and state.encode() not in left
        async with runtime.store._db.execute("PRAGMA secure_delete") as cursor:
            row = await cursor.fetchone()
        assert row is not None and row[0] == 1, "the bot's own connection zeroes what it deletes"


async def test_signal_seen_messages_are_kept_hours_and_removed_by_forget(
    running_bot: RunningBot,
    ana: SignalPerson,
    signal_cli: FakeSignalCli,
    env: dict[str, str],
    clock: FakeClock,
) -> None:
    async with running_bot() as runtime:
        await ana.send("bonjour")
        await ana.send("menu")
        with sqlite3.connect(database(env)) as db:
            assert db.execute("SELECT COUNT(*) FROM seen_messages").fetchone()[0] == 2
        clock.now = clock.now + timedelta(hours=7)
        await purge_expired(runtime.conversation)
        with sqlite3.connect(database(env)) as db:
            assert db.execute("SELECT COUNT(*) FROM seen_messages").fetchone()[0] == 0

        await ana.send("bonjour")
        asked = await ana.send("forget")
        assert "1." in asked
        await ana.send(str(ana.number_of("Oui")))
        with sqlite3.connect(database(env)) as db:
            assert db.execute("SELECT COUNT(*) FROM seen_messages").fetchone()[0] == 0
            assert db.execute("SELECT COUNT(*) FROM users").fetchone()[0] == 0


async def test_the_key_file_and_the_database_are_the_bots_alone(
    running_bot: RunningBot, tmp_path: Path, env: dict[str, str], bot_api: FakeBotAPI
) -> None:
    data_dir = tmp_path / "fresh"
    settings = load_settings({"BOT_DATA_DIR": str(data_dir)})  # no key given: one is made
    key_file = data_dir / "secret.key"
    assert settings.secret_key == key_file.read_text().strip().encode()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700

    env["BOT_DATA_DIR"] = str(data_dir)
    eve = TelegramPerson(
        bot_api, FakeUser(id=5550008003, first_name="Eve", username=None, language_code="en")
    )
    async with running_bot():
        await eve.send("/start")
        for path in data_dir.glob("parapluie.sqlite3*"):
            mode = stat.S_IMODE(path.stat().st_mode)
            assert mode & 0o077 == 0, f"{path.name} is readable by others: {oct(mode)}"
