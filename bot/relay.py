"""Delivers the outbox: person → staff chat and staff → person, in order per conversation.

Every message to relay is recorded (bot/store/tickets.py) before anything else happens; this
worker takes the oldest item of each conversation, hands it to the channel that can deliver it,
and deletes it once delivered. A channel raises `RetryLater` for what may succeed later
(Telegram's flood control, 5xx, timeouts): the item waits and the conversation pauses, while
other conversations go on. `Undeliverable` (a person who blocked the bot) drops the item.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from bot.conversation import Conversation
from bot.store.tickets import OutboxItem, Ticket

log = logging.getLogger(__name__)

IDLE_SECONDS = 1.0
MAX_BACKOFF_SECONDS = 300.0


class RetryLater(Exception):
    def __init__(self, seconds: float) -> None:
        super().__init__(f"retry in {seconds:.0f} s")
        self.seconds = seconds


class Undeliverable(Exception):
    pass


@dataclass(frozen=True)
class Media:
    """A file on its way between platforms, held in memory only for the delivery."""

    data: bytes
    content_type: str
    filename: str


StaffDelivery = Callable[[Ticket, dict[str, Any]], Awaitable[None]]
MediaSource = Callable[[dict[str, Any]], Awaitable[Media]]
PersonDelivery = Callable[[Ticket, str, dict[str, Any]], Awaitable[None]]


def backoff(attempts: int) -> float:
    return min(MAX_BACKOFF_SECONDS, 2.0 ** min(attempts, 8))


class Relay:
    def __init__(self, conversation: Conversation) -> None:
        self.conversation = conversation
        self.store = conversation.store
        self._to_staff: StaffDelivery | None = None
        self._to_person: dict[str, PersonDelivery] = {}
        self._draining: dict[int, asyncio.Task[None]] = {}
        self._media: dict[str, MediaSource] = {}

    def deliver_to_staff_with(self, deliver: StaffDelivery) -> None:
        self._to_staff = deliver

    def deliver_to_people_with(self, channel: str, deliver: PersonDelivery) -> None:
        self._to_person[channel] = deliver

    def fetch_media_with(self, channel: str, fetch: MediaSource) -> None:
        """How to download a file that lives on `channel` (attachment refs in payloads)."""
        self._media[channel] = fetch

    async def media(self, attachment: dict[str, Any]) -> Media:
        fetch = self._media.get(str(attachment.get("channel")))
        if fetch is None:
            raise RetryLater(30)  # that channel is not connected yet
        return await fetch(attachment)

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            self.store.outbox_changed.clear()
            try:
                await self.start_pending()
            except Exception:
                log.exception("relay_round_failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.store.outbox_changed.wait(), IDLE_SECONDS)
        await self.wait_idle()

    async def start_pending(self) -> None:
        """One drain task per conversation with something due: per-conversation order,
        and a slow conversation never holds up the others."""
        for ticket_id in await self.store.tickets_with_pending(self.conversation.clock()):
            task = self._draining.get(ticket_id)
            if task is None or task.done():
                self._draining[ticket_id] = asyncio.create_task(self._drain(ticket_id))

    async def wait_idle(self) -> None:
        tasks = [t for t in self._draining.values() if not t.done()]
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)

    async def _drain(self, ticket_id: int) -> None:
        while True:
            due = await self.store.outbox_wait(ticket_id)
            if due is None or due > self.conversation.clock():
                return
            item = await self.store.next_in_outbox(ticket_id)
            ticket = await self.store.ticket(ticket_id)
            if item is None or ticket is None:
                return
            try:
                await self._deliver(ticket, item)
            except RetryLater as wait:
                delay = max(wait.seconds, backoff(item.attempts))
                log.info("relay_retry_later seconds=%.0f attempts=%d", delay, item.attempts + 1)
                await self.store.postpone(
                    item, self.conversation.clock() + timedelta(seconds=delay)
                )
                return
            except Undeliverable as exc:
                log.warning("relay_undeliverable reason=%s", exc)
            await self.store.delivered(item)

    async def _deliver(self, ticket: Ticket, item: OutboxItem) -> None:
        if item.direction == "to_staff":
            if self._to_staff is None:
                raise RetryLater(30)
            await self._to_staff(ticket, item.payload)
            return
        profile = await self.store.load_profile(ticket.user_key)
        if profile is None:
            raise Undeliverable("the person is no longer known")
        deliver = self._to_person.get(profile.channel)
        if deliver is None:
            raise RetryLater(30)
        await deliver(ticket, profile.address, item.payload)
