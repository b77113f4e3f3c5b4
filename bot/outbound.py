"""Messages the bot sends on its own: reminders to a person, notices to the staff chat.

Channels register how they reach a person (by channel name) and, for Telegram, the staff
chat. Handlers never send: they return replies, and queue staff notices on the turn.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the conversation core owns Outbound; avoid the import cycle
    from bot.conversation import Reply

    PersonSender = Callable[[str, list[Reply]], Awaitable[None]]
    StaffSender = Callable[[str], Awaitable[None]]

log = logging.getLogger(__name__)


class Outbound:
    def __init__(self) -> None:
        self._people: dict[str, PersonSender] = {}
        self._staff: StaffSender | None = None
        self._notices: asyncio.Queue[str] | None = None
        self._notifier: asyncio.Task[None] | None = None

    def register_person_channel(self, channel: str, send: PersonSender) -> None:
        self._people[channel] = send

    def register_staff(self, send: StaffSender) -> None:
        self._staff = send

    def reaches(self, channel: str) -> bool:
        return channel in self._people

    async def to_person(self, channel: str, address: str, replies: list[Reply]) -> None:
        """Raises when the channel is not running or the platform refuses: the caller retries."""
        send = self._people.get(channel)
        if send is None:
            raise LookupError(f"channel {channel!r} is not running")
        await send(address, replies)

    async def to_staff(self, text: str) -> None:
        """Queued, in order: Telegram lets a bot post about 20 messages a minute in a group,
        and a person's answer must never wait for the team's notice."""
        if self._staff is None:
            log.info("staff_notice_skipped reason=no_staff_chat")
            return
        if self._notices is None:
            self._notices = asyncio.Queue()
        self._notices.put_nowait(text)
        if self._notifier is None or self._notifier.done():
            self._notifier = asyncio.create_task(self._send_notices())

    async def _send_notices(self) -> None:
        assert self._notices is not None and self._staff is not None
        while not self._notices.empty():
            text = self._notices.get_nowait()
            try:
                await self._staff(text)
            except Exception:  # python-telegram-bot already retried flood control
                log.exception("staff_notice_failed")

    async def drain(self) -> None:
        """Waits for the queued staff notices (at shutdown, and in tests)."""
        if self._notifier is not None:
            await self._notifier
