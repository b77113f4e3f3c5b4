"""Messages the bot sends on its own: reminders to a person, notices to the staff chat.

Channels register how they reach a person (by channel name) and, for Telegram, the staff
chat. Handlers never send: they return replies, and queue staff notices on the turn.
"""

from __future__ import annotations

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
        if self._staff is None:
            log.info("staff_notice_skipped reason=no_staff_chat")
            return
        await self._staff(text)
