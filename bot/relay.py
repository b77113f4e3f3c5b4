"""Delivers the outbox: person → staff chat and staff → person, in order per conversation.

Every message to relay is recorded (bot/store/tickets.py) before anything else happens; this
worker takes the oldest item of each conversation, hands it to the channel that can deliver it,
and deletes it once delivered. A channel raises `RetryLater` for what may succeed later
(Telegram's flood control, 5xx, timeouts): the item waits and the conversation pauses, while
other conversations go on. `Undeliverable` (a person who blocked the bot) drops the item.

Nothing is dropped silently: an item that cannot be delivered, or still fails after
`MAX_ATTEMPTS`, is given up and both sides hear of it (`_give_up`). And one conversation
cannot take the staff group's whole sending budget: posts to the group are paced per
conversation (`StaffPace`), so a flood waits its turn while the others go on.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import mimetypes
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from bot.conversation import Conversation, Reply, escape
from bot.i18n import _, use_language
from bot.store.tickets import OutboxItem, Ticket

log = logging.getLogger(__name__)

IDLE_SECONDS = 1.0
MAX_BACKOFF_SECONDS = 300.0
# Ten failed attempts, with the back-off below, is about eight and a half minutes of failure
# (longer when Telegram asks for longer waits). Long enough to ride out a restart of
# signal-cli or a short Telegram hiccup; short enough that a person writing in a hurry learns
# within minutes that the team did not get the message (and can call instead), and that a
# message that will never go through (a poison item) holds up the rest of their
# conversation for minutes, not for ever. A time budget of a day would have kept messages
# through longer outages, but left a person in crisis believing the team had read them.
MAX_ATTEMPTS = 10
# What a person wrote (as opposed to the bot's own notices about a conversation).
PERSON_MESSAGES = {"copy", "text"}
TEAM_MESSAGES = {"copy", "reply", "files"}


class RetryLater(Exception):
    def __init__(self, seconds: float) -> None:
        super().__init__(f"retry in {seconds:.0f} s")
        self.seconds = seconds


class Undeliverable(Exception):
    pass


class Gone(Undeliverable):
    """The person can no longer be reached on their platform at all (a Signal account that
    no longer exists): the conversation is closed and the team told, once."""


class Held(Exception):
    """The person used the quick exit: the item waits, out of the queue, until they write."""


@dataclass(frozen=True)
class Media:
    """A file on its way between platforms, held in memory only for the delivery."""

    data: bytes
    content_type: str
    filename: str


def neutral_file_name(content_type: str) -> str:
    """'document.pdf' for application/pdf: a file's own name may hold a real name
    ("Maria_passport.jpg"), so none travels between the person and the team."""
    extension = mimetypes.guess_extension(content_type.split(";")[0].strip()) or ".bin"
    kind = content_type.split("/", 1)[0]
    stem = {"image": "photo", "audio": "audio", "video": "video"}.get(kind, "document")
    return stem + extension


StaffDelivery = Callable[[Ticket, dict[str, Any]], Awaitable[None]]
MediaSource = Callable[[dict[str, Any]], Awaitable[Media]]
PersonDelivery = Callable[[Ticket, str, dict[str, Any]], Awaitable[None]]


def backoff(attempts: int) -> float:
    return min(MAX_BACKOFF_SECONDS, 2.0 ** min(attempts, 8))


@dataclass
class StaffPace:
    """Posts to the staff group per conversation: a first burst at once, then `per_minute`.

    Telegram lets a bot post about 20 messages a minute in one group. Each conversation drains
    in its own task, so another conversation's message is never queued behind a whole flood;
    but without a pace, a person sending hundreds of messages would still spend the group's
    budget for as long as the flood lasts. With half of it at most (10 a minute after a first
    burst of 6), the other conversations and the booking notices always find room, and
    nothing of the flood is dropped: it waits in the outbox. Counted per outbox item (a long
    text cut in several messages counts once). Kept in memory: a restart forgets it.
    """

    per_minute: float = 10.0
    burst: float = 6.0
    _buckets: dict[int, tuple[float, datetime]] = field(default_factory=dict)

    def wait(self, ticket_id: int, now: datetime) -> float:
        """0 and one post taken now, or the seconds until this conversation may post."""
        tokens, since = self._buckets.get(ticket_id, (self.burst, now))
        elapsed = max(0.0, (now - since).total_seconds())
        tokens = min(self.burst, tokens + elapsed * self.per_minute / 60)
        if len(self._buckets) > 10_000:  # forget the conversations that are quiet again
            self._buckets = {k: v for k, v in self._buckets.items() if v[0] < self.burst}
        if tokens >= 1:
            self._buckets[ticket_id] = (tokens - 1, now)
            return 0.0
        self._buckets[ticket_id] = (tokens, now)
        return (1 - tokens) * 60 / self.per_minute


class Relay:
    def __init__(self, conversation: Conversation, paced: bool = True) -> None:
        self.conversation = conversation
        # Unpaced only where the group has no flood limit (the tests' fake server).
        self.pace: StaffPace | None = StaffPace() if paced else None
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
            now = self.conversation.clock()
            if item.direction == "to_staff" and self.pace is not None:
                pause = self.pace.wait(ticket_id, now)
                if pause > 0:  # paced, not failed: no attempt is counted
                    await self.store.pace(item, now + timedelta(seconds=pause))
                    return
            try:
                await self._deliver(ticket, item)
            except Held:
                continue
            except RetryLater as wait:
                if item.attempts + 1 < MAX_ATTEMPTS:
                    delay = max(wait.seconds, backoff(item.attempts))
                    log.info("relay_retry_later seconds=%.0f attempts=%d", delay, item.attempts + 1)
                    await self.store.postpone(item, now + timedelta(seconds=delay))
                    return
                await self._give_up(ticket, item, f"{MAX_ATTEMPTS} attempts")
            except Gone as exc:
                await self._give_up(ticket, item, str(exc))
                await self._close_gone(ticket)
            except Undeliverable as exc:
                await self._give_up(ticket, item, str(exc))
            await self.store.delivered(item)

    async def _give_up(self, ticket: Ticket, item: OutboxItem, reason: str) -> None:
        """Nothing is marked done in silence. A person's message that never reached the team:
        the person is told (while the conversation is open: not after they left it, when
        the phone may be in other hands) and the team sees that something is missing in the
        topic. A team message that never reached the person: the team is told in the topic.
        The bot's own notices are only logged (telling about them could loop)."""
        kind = str(item.payload.get("kind"))
        log.warning("relay_gave_up direction=%s kind=%s reason=%s", item.direction, kind, reason)
        try:
            if item.direction == "to_staff" and kind in PERSON_MESSAGES:
                told = ticket.status == "open" and await self._tell_person(ticket)
                await self._tell_team(ticket, item, "person", told)
            elif item.direction == "to_person" and kind in TEAM_MESSAGES:
                await self._tell_team(ticket, item, "team", False)
        except Exception:  # the item is given up whatever happens to the notices
            log.exception("relay_give_up_notice_failed")

    async def _close_gone(self, ticket: Ticket) -> None:
        """Nothing more can reach this person: what else waits for them is dropped (each would
        fail the same way), the conversation closes, and the team reads why in its topic."""
        dropped = await self.store.drop_pending(ticket.id, "to_person")
        await self.store.close_ticket(ticket.id, self.conversation.clock())
        log.warning("relay_person_gone dropped=%d", dropped)
        source = f"gone:{ticket.id}"
        await self.store.enqueue(
            ticket.id, "to_staff", {"kind": "gone"}, source, self.conversation.clock(), notice=True
        )

    async def _tell_person(self, ticket: Ticket) -> bool:
        profile = await self.store.load_profile(ticket.user_key)
        outbound = self.conversation.outbound
        if profile is None or not outbound.reaches(profile.channel):
            return False
        with use_language(self.conversation.catalogs, profile.language):
            text = escape(
                _(
                    "A message could not be delivered to the team. Please send it again, "
                    "or write it differently."
                )
            )
        try:  # recorded for the quick exit; nothing to someone who used it
            return await outbound.to_person(ticket.user_key, [Reply(text)])
        except Exception as exc:
            log.warning("relay_give_up_person_not_told error=%s", type(exc).__name__)
            return False

    async def _tell_team(self, ticket: Ticket, item: OutboxItem, lost: str, told: bool) -> None:
        """Queued like the conversation's other messages to the team, so it lands in the
        topic once the group takes messages again."""
        payload = {"kind": "undelivered", "from": lost, "told": told}
        source = f"undelivered:{item.source}"
        await self.store.enqueue(
            ticket.id, "to_staff", payload, source, self.conversation.clock(), notice=True
        )

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
        # The quick exit holds what the team wrote; checked under the lock the quick exit
        # takes to clear the chat, so a message is either cleared with the rest or held.
        async with self.conversation.outbound.delivering(ticket.user_key):
            if await self.store.is_held(item.id):
                raise Held()
            await deliver(ticket, profile.address, item.payload)
