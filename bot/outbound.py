"""Messages the bot sends on its own: reminders to a person, notices to the staff chat.

Channels register how they reach a person (by channel name) and, for Telegram, the staff
chat. Handlers never send: they return replies, and queue staff notices on the turn. Staff
notices are stored (sealed) before anything else and posted in order by one worker, off the
person's path: the group takes about 20 messages a minute, and a restart or a failed post must
not lose a booking's notice.

Everything sent to a person outside a turn is recorded for the quick exit, which deletes it,
and nothing goes to someone who used the quick exit until they write again. Sending and
recording happen under the person's delivery lock, which the quick exit also takes: a message
is either on record before the chat is cleared, or not sent at all.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING

from bot.locks import PersonLocks
from bot.store.tickets import StaffNotice

if TYPE_CHECKING:  # the conversation core owns Outbound; avoid the import cycle
    from bot.conversation import Clock, Reply
    from bot.store import Store

    # Returns the platform's ids of the messages sent (Telegram message ids, Signal timestamps).
    PersonSender = Callable[[str, list[Reply]], Awaitable[list[int]]]
    StaffSender = Callable[[StaffNotice], Awaitable[None]]

log = logging.getLogger(__name__)

RETRY_SECONDS = 30.0
# In a person's state after the quick exit, until they write again: nothing is sent to them.
EXITED = "exited"


class Outbound:
    def __init__(self, store: Store, clock: Clock) -> None:
        self._store = store
        self._clock = clock
        self._people: dict[str, PersonSender] = {}
        self._staff: StaffSender | None = None
        self._notifier: asyncio.Task[None] | None = None
        self._delivery_locks = PersonLocks()

    def delivering(self, user_key: str) -> AbstractAsyncContextManager[None]:
        """Held while something is sent to a person and recorded, and while their chat is
        cleared: the two never interleave."""
        return self._delivery_locks.hold(user_key)

    def register_person_channel(self, channel: str, send: PersonSender) -> None:
        self._people[channel] = send

    def register_staff(self, send: StaffSender) -> None:
        self._staff = send
        self._post_notices()  # what a previous run left unposted

    @property
    def has_staff(self) -> bool:
        """A staff group takes notices and conversations."""
        return self._staff is not None

    def reaches(self, channel: str) -> bool:
        return channel in self._people

    async def to_person(self, user_key: str, replies: list[Reply]) -> bool:
        """Sends and records; False, sending nothing, to someone who left with the quick exit
        (or was forgotten). Raises when the channel is not running or the platform refuses:
        the caller retries."""
        async with self.delivering(user_key):
            profile = await self._store.load_profile(user_key)
            if profile is None or profile.state.get(EXITED):
                return False
            send = self._people.get(profile.channel)
            if send is None:
                raise LookupError(f"channel {profile.channel!r} is not running")
            sent = await send(profile.address, replies)
            await self._store.record_chat_messages(user_key, sent, self._clock())
        return True

    async def to_staff(self, notice: str | StaffNotice) -> None:
        if self._staff is None:
            log.info("staff_notice_skipped reason=no_staff_chat")
            return
        if isinstance(notice, str):
            notice = StaffNotice(notice)
        await self._store.queue_staff_notice(notice, self._clock())
        self._post_notices()

    def _post_notices(self) -> None:
        if self._notifier is None or self._notifier.done():
            self._notifier = asyncio.create_task(self._post_pending())

    async def _post_pending(self) -> None:
        """Oldest first; after a failure (python-telegram-bot already retried flood control)
        the rest waits and is tried again later, in the same order."""
        assert self._staff is not None
        while notices := await self._store.staff_notices():
            for key, notice in notices:
                try:
                    await self._staff(notice)
                except Exception as exc:
                    log.warning(
                        "staff_notice_failed error=%s retry_in=%.0f",
                        type(exc).__name__,
                        RETRY_SECONDS,
                    )
                    await asyncio.sleep(RETRY_SECONDS)
                    break
                await self._store.staff_notice_posted(key)

    async def drain(self, timeout: float = 10.0) -> None:
        """Waits for the queued staff notices (at shutdown, and in tests); what is not posted
        by then stays stored for the next start."""
        if self._notifier is not None and not self._notifier.done():
            try:
                await asyncio.wait_for(self._notifier, timeout)
            except TimeoutError:
                log.warning("staff_notices_left_for_next_start")
