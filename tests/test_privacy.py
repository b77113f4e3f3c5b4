"""No raw Telegram id, username, name or message text in the database or the logs."""

from __future__ import annotations

import asyncio
import io
import logging
import sys
from pathlib import Path

import pytest

from bot.conversation import Reply, Turn
from bot.logs import setup_logging
from tests.conftest import RunningBot, TelegramPerson
from tests.fakes.bot_api import FakeBotAPI


async def _explode(turn: Turn, args: list[str]) -> list[Reply]:
    raise RuntimeError("a bug inside a handler")


async def test_database_and_logs_hold_no_identifier(
    running_bot: RunningBot,
    maria: TelegramPerson,
    bot_api: FakeBotAPI,
    env: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    staff_chat: int,
) -> None:
    stderr = io.StringIO()
    monkeypatch.setattr(sys, "stderr", stderr)
    setup_logging("DEBUG")
    # The fake server's own access log is the test harness talking, not the bot.
    logging.getLogger("aiohttp").setLevel(logging.WARNING)
    try:
        async with running_bot() as runtime:
            runtime.conversation.action("explode", _explode)
            menu = await maria.send("/start")
            topic = await maria.tap(menu, "TPE")
            page = await maria.tap(topic, "En savoir plus")
            await maria.tap(page, "Suivant")
            await maria.send("la capote a craqué hier soir")
            # A booking with a nickname: the nickname is sealed, the code stands for the person.
            menu = await maria.send("/menu")
            topic = await maria.tap(menu, "📅 Rendez-vous")
            types = await maria.tap(topic, "Prendre rendez-vous")
            risk = await maria.tap(types, "Test rapide")
            days = await maria.tap(risk, "Je préfère ne pas le dire")
            times = await maria.tap(days, "Mar. 24 nov.")
            confirm = await maria.tap(times, "13:30")
            await maria.tap(confirm, "Ajouter un surnom")
            confirm = await maria.send("Rosalinda")
            booked = await maria.tap(confirm, "Confirmer")
            assert "Donnez ce code" in booked.text
            # A message to the team: relayed by copy, its text never stored.
            offer = await maria.send("/talk")
            await maria.tap(offer, "Écrire à l'équipe")
            bot_api.user_sends(maria.user, "mon proprio Gaspard me menace")
            await asyncio.sleep(0.3)
            await maria.send("/language nl")
            before = bot_api.activity(maria.user.id)
            tag = runtime.keys.button_tag("explode")
            bot_api.user_sends_callback(maria.user, menu, f"explode|{tag}")
            apology = await bot_api.wait_for_activity(maria.user.id, before)
            assert "Sorry, er ging iets mis" in apology.text
    finally:
        logging.getLogger().handlers.clear()

    logs = stderr.getvalue()
    assert "update_failed error=RuntimeError" in logs
    assert "a bug inside a handler" in logs, "tracebacks are kept, minus identifiers"
    secrets = [
        str(maria.user.id),
        "maria_secret",
        "Maria",
        "capote",
        "Rosalinda",
        "Gaspard",
        bot_api.token,
    ]
    for secret in secrets:
        assert secret not in logs, f"{secret!r} leaked into the logs"

    data_dir = Path(env["BOT_DATA_DIR"])
    files = [path for path in data_dir.rglob("*") if path.is_file()]
    assert any(path.name.endswith(".sqlite3") for path in files)
    for path in files:
        content = path.read_bytes()
        for secret in secrets[:-1]:
            assert secret.encode() not in content, f"{secret!r} found in {path.name}"
