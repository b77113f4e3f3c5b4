"""Scenarios a person lives through on Telegram, through real python-telegram-bot over HTTP."""

from __future__ import annotations

from tests.conftest import RunningBot, TelegramPerson
from tests.fakes.bot_api import FakeBotAPI, FakeUser


async def test_start_in_a_french_client_lands_in_french(running_bot: RunningBot, maria: TelegramPerson) -> None:
    async with running_bot():
        menu = await maria.send("/start")
    assert "Bonjour" in menu.text
    assert "confidentiel" in menu.text
    assert any("TPE" in label for label in menu.button_labels())
    assert any("Langue" in label for label in menu.button_labels())
