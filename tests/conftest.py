from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.channels.telegram import TelegramChannel
from bot.conversation import FloodGuard, Person
from bot.relay import Relay
from bot.runtime import Runtime, open_runtime
from bot.settings import load_settings
from tests.fakes.bot_api import ChatMessage, FakeBotAPI, FakeUser

BRUSSELS = ZoneInfo("Europe/Brussels")
ROOT = Path(__file__).resolve().parent.parent


@dataclass
class FakeClock:
    now: datetime

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    # A Monday morning, when the Charleroi office is open.
    return FakeClock(datetime(2026, 11, 23, 10, 0, tzinfo=BRUSSELS))


@pytest.fixture
async def bot_api() -> AsyncIterator[FakeBotAPI]:
    api = FakeBotAPI()
    await api.start()
    yield api
    await api.stop()


@pytest.fixture
def env(tmp_path: Path, bot_api: FakeBotAPI) -> dict[str, str]:
    return {
        "BOT_DATA_DIR": str(tmp_path / "data"),
        "BOT_SECRET_KEY": "test-secret-key-that-is-long-enough-0123456789",
        "TELEGRAM_BOT_TOKEN": bot_api.token,
        "TELEGRAM_API_URL": bot_api.url,
        "LOG_LEVEL": "DEBUG",
    }


RunningBot = Callable[[], AbstractAsyncContextManager[Runtime]]


@pytest.fixture
def running_bot(env: dict[str, str], clock: FakeClock) -> RunningBot:
    """Starts the real bot (runtime + python-telegram-bot polling) against the fake server."""

    @asynccontextmanager
    async def start() -> AsyncIterator[Runtime]:
        settings = load_settings(env)
        async with open_runtime(settings, clock) as runtime:
            # Scripted people tap faster than anyone; the flood guard has its own test.
            runtime.conversation.flood = FloodGuard(events=10_000)
            relay = Relay(runtime.conversation)
            channel = TelegramChannel(
                runtime.conversation,
                runtime.keys,
                env["TELEGRAM_BOT_TOKEN"],
                env["TELEGRAM_API_URL"],
                settings.staff_chat_id,
                relay,
                # The fake server has no flood limit; the real 20 a minute would make the
                # burst test last minutes. The limiter itself is python-telegram-bot's.
                group_messages_per_minute=6000,
            )
            await channel.start(poll_timeout=1)
            stop = asyncio.Event()
            relaying = asyncio.create_task(relay.run(stop))
            try:
                yield runtime
            finally:
                stop.set()
                await relaying
                await channel.stop()

    return start


class TelegramPerson:
    """A person in a Telegram client: types, taps, and sees what the bot shows."""

    def __init__(self, api: FakeBotAPI, user: FakeUser) -> None:
        self.api = api
        self.user = user
        api.open_private_chat(user)

    def core_person(self) -> Person:
        """How the conversation core names this person (to look them up in the store)."""
        return Person("telegram", str(self.user.id), str(self.user.id))

    async def send(self, text: str) -> ChatMessage:
        before = self.api.activity(self.user.id)
        self.api.user_sends(self.user, text)
        return await self.api.wait_for_activity(self.user.id, before)

    async def tap(self, message: ChatMessage, label_part: str) -> ChatMessage:
        before = self.api.activity(self.user.id)
        query = self.api.user_taps(self.user, message, label_part)
        await self.api.wait_for(lambda: query in self.api.answered)
        return await self.api.wait_for_activity(self.user.id, before)

    async def send_callback(self, message: ChatMessage, data: str) -> tuple[ChatMessage, dict]:
        before = self.api.activity(self.user.id)
        query = self.api.user_sends_callback(self.user, message, data)
        await self.api.wait_for(lambda: query in self.api.answered)
        return await self.api.wait_for_activity(self.user.id, before), self.api.answered[query]


@pytest.fixture
def maria(bot_api: FakeBotAPI) -> TelegramPerson:
    return TelegramPerson(
        bot_api,
        FakeUser(id=5550001234, first_name="Maria", username="maria_secret", language_code="fr"),
    )


STAFF_CHAT = -1001234500  # the staff group in the tests


@pytest.fixture
def staff_chat(bot_api: FakeBotAPI, env: dict[str, str]) -> int:
    bot_api.open_group_chat(STAFF_CHAT, "Team", forum=True)
    env["TELEGRAM_STAFF_CHAT_ID"] = str(STAFF_CHAT)
    return STAFF_CHAT
