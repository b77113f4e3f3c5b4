from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.channels.signal import SignalChannel
from bot.channels.telegram import TelegramChannel
from bot.conversation import FloodGuard, Person
from bot.relay import Relay
from bot.runtime import Runtime, open_runtime
from bot.settings import load_settings
from tests.fakes.bot_api import ChatMessage, FakeBotAPI, FakeUser
from tests.fakes.signal_cli import FakeSignalCli, SentMessage, SignalUser

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
def channels() -> dict[str, Any]:
    """The channels of the bot that runs now, by name (tests look at their counters)."""
    return {}


@pytest.fixture
def running_bot(env: dict[str, str], clock: FakeClock, channels: dict[str, Any]) -> RunningBot:
    """Starts the real bot (runtime + python-telegram-bot polling) against the fake server,
    and the Signal adapter too when the test has a fake signal-cli daemon."""

    @asynccontextmanager
    async def start() -> AsyncIterator[Runtime]:
        settings = load_settings(env)
        async with open_runtime(settings, clock) as runtime:
            # Scripted people tap faster than anyone; the flood guard has its own test.
            runtime.conversation.flood = FloodGuard(events=10_000)
            # Unpaced like the group limit below; the pace has its own test.
            relay = Relay(runtime.conversation, paced=False)
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
            channels["telegram"] = channel
            signal_channel = None
            if settings.signal_account and settings.signal_cli:
                signal_channel = SignalChannel(
                    runtime.conversation, settings.signal_account, settings.signal_cli, relay
                )
                await signal_channel.start()
                await signal_channel.wait_connected()
                channels["signal"] = signal_channel
            stop = asyncio.Event()
            relaying = asyncio.create_task(relay.run(stop))
            try:
                yield runtime
            finally:
                stop.set()
                await relaying
                await runtime.conversation.outbound.drain()
                if signal_channel is not None:
                    await signal_channel.stop()
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


@pytest.fixture
async def signal_cli(env: dict[str, str]) -> AsyncIterator[FakeSignalCli]:
    """A fake signal-cli daemon; the bot started by `running_bot` connects to it."""
    daemon = FakeSignalCli()
    await daemon.start()
    env["SIGNAL_ACCOUNT"] = daemon.account
    env["SIGNAL_CLI"] = daemon.address
    yield daemon
    await daemon.stop()


class SignalPerson:
    """A person in a Signal app: types, attaches files, and reads what the bot sent."""

    def __init__(self, daemon: FakeSignalCli, user: SignalUser, channels: dict[str, Any]) -> None:
        self.daemon = daemon
        self.user = user
        self.channels = channels

    def core_person(self) -> Person:
        return Person("signal", self.user.uuid, self.user.uuid)

    @property
    def inbox(self) -> list[SentMessage]:
        return self.daemon.messages_to(self.user)

    async def deliver(self, envelope: dict[str, Any]) -> list[SentMessage]:
        """Delivers an envelope and waits until the bot has handled it: what it sent back."""
        channel = self.channels["signal"]
        before, handled = len(self.inbox), channel.handled
        await self.daemon.deliver(envelope)
        await self.daemon.wait_for(lambda: channel.handled > handled, timeout=15)
        return self.inbox[before:]

    async def send(self, text: str, files: list[tuple[str, str, bytes]] | None = None) -> str:
        """Sends a message; returns everything the bot answered, as one text."""
        sent = await self.deliver(self.daemon.message_envelope(self.user, text, files or []))
        return "\n\n".join(message.text for message in sent)

    async def choose(self, label_part: str) -> str:
        """Types the number of the choice whose label contains `label_part`."""
        return await self.send(str(self.number_of(label_part)))

    def number_of(self, label_part: str) -> int:
        for line in self.inbox[-1].text.splitlines():
            number, sep, label = line.strip().partition(". ")
            if sep and number.isdigit() and label_part in label:
                return int(number)
        raise AssertionError(f"no choice with {label_part!r} in:\n{self.inbox[-1].text}")


@pytest.fixture
def ana(signal_cli: FakeSignalCli, channels: dict[str, Any]) -> SignalPerson:
    return SignalPerson(
        signal_cli,
        SignalUser(
            uuid="9f1c2b7e-4d5a-4c3b-8e2f-0a1b2c3d4e5f",
            number="+32470123456",
            name="Zelmira Ionescu",
        ),
        channels,
    )
