"""The scheduled purge: runs at start-up and then every few hours."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from bot.conversation import Conversation
from bot.handlers.staff import gone_notice
from bot.store.privacy import Purged

log = logging.getLogger(__name__)

PURGE_EVERY_SECONDS = 6 * 3600


async def purge_expired(conversation: Conversation) -> Purged:
    now = conversation.clock()
    rules = conversation.config.retention
    purged = await conversation.store.purge_expired(
        now,
        now.astimezone(conversation.config.zone).date(),
        rules.closed_conversations_days,
        rules.appointments_days,
        rules.inactive_people_days,
    )
    for gone in purged.gone:
        await conversation.outbound.to_staff(
            gone_notice(conversation.catalogs, conversation.config, gone, "expired")
        )
    log.info(
        "purged conversations=%d appointments=%d people=%d",
        purged.conversations,
        purged.appointments,
        purged.people,
    )
    return purged


async def run_purges(conversation: Conversation, stop: asyncio.Event) -> None:
    while not stop.is_set():
        try:
            await purge_expired(conversation)
        except Exception:
            log.exception("purge_failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), PURGE_EVERY_SECONDS)
