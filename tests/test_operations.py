"""What an operator meets: who can answer, a rejected token, a proxy, a network down at start."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.conftest import RunningBot, TelegramPerson
from tests.fakes.bot_api import FakeBotAPI, FakeUser
from tests.test_terminal import run_cli

NOBODY = "Nobody from the team reads this chat."


def test_the_terminal_says_nobody_reads_it_and_gives_phones_instead(tmp_path: Path) -> None:
    result = run_cli(["chat", "--lang", "en"], "/talk\nI need help with my papers\n", tmp_path)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert NOBODY in out
    assert "071 31 40 42" in out and "112" in out  # the organisation's phones, then emergencies
    assert "Sent" not in out


async def test_without_a_staff_group_talk_shows_phones_and_nothing_is_queued(
    running_bot: RunningBot, bot_api: FakeBotAPI, caplog: Any
) -> None:
    rodica = TelegramPerson(
        bot_api, FakeUser(id=5550015001, first_name="Rodica", username=None, language_code="en")
    )
    async with running_bot() as runtime:
        assert "no_staff_chat" in caplog.text
        menu = await rodica.send("/start")
        topic = await rodica.tap(menu, "PEP")
        offer = await rodica.tap(topic, "Talk to a person")
        assert NOBODY in offer.text and "112" in offer.text
        assert not [label for label in offer.button_labels() if "Write to the team" in label]
        answer = await rodica.send("hello is anyone there")
        assert "Sent" not in answer.text
        assert await runtime.store.outbox_size() == 0
