"""Appointment reminders: stored in the database when booking, sent when due.

Each round looks for due reminders of appointments still booked. A reminder is marked sent
before it goes out, so a restart can never send it twice; if sending fails it is released for
the next round. A cancelled or moved appointment is no longer 'booked', so its reminders are
never due. The wording is discreet unless the person chose otherwise: a notification preview
shows no medical word; in discreet mode (config `discreet`) it shows no place either.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from bot.config import localized
from bot.conversation import Conversation, Option, Reply, escape
from bot.dates import when as when_text
from bot.i18n import _, use_language
from bot.outbound import EXITED
from bot.store.bookings import Appointment

log = logging.getLogger(__name__)

ROUND_SECONDS = 30.0


def reminder_text(conversation: Conversation, appointment: Appointment) -> Reply:
    config = conversation.config
    place = config.location(appointment.location)
    when = when_text(appointment.starts_at, appointment.language, config.zone)
    address = place.address if place and place.address else (place.name if place else "")
    if appointment.detailed and config.appointments is not None:
        kind = config.appointments.type(appointment.type)
        what = localized(kind.name, appointment.language, config.default_language) if kind else ""
        first = _("Reminder: {what}, {when}.").format(what=what, when=when)
        where = f"{place.name}, {address}" if place and place.address else address
    else:
        first = _("Reminder: you have an appointment {when}.").format(when=when)
        where = address
    code_line = escape(_("Your code:")) + f" <b>{escape(appointment.code)}</b>"
    my_appointments = Option("🗓 " + _("My appointments"), "ba")
    if config.discreet:
        # A reminder arrives unasked, with a preview on the lock screen: a place's name can be
        # the organisation's and its street is the office, so both stay one tap away, inside
        # the chat. The type is said only if the person chose it (their choice, not the place).
        details = Option("📍 " + _("Where is it?"), f"am:{appointment.code}")
        return Reply("\n".join(["🔔 " + escape(first), code_line]), [[details, my_appointments]])
    lines = ["🔔 " + escape(first), "📍 " + escape(where), code_line]
    return Reply("\n".join(lines), [[my_appointments]])


async def send_due_reminders(conversation: Conversation) -> int:
    """One round; returns how many reminders went out."""
    store, now = conversation.store, conversation.clock()
    sent = 0
    due = await store.due_reminders(now)
    # After downtime several reminders of one appointment may be due: the latest says it all,
    # the earlier ones are marked without being sent.
    latest: dict[int, tuple[int, Appointment]] = {}
    for reminder_id, appointment in due:
        if appointment.id in latest:
            await store.claim_reminder(latest[appointment.id][0], now)
        latest[appointment.id] = (reminder_id, appointment)
    for reminder_id, appointment in latest.values():
        profile = await store.load_profile(appointment.user_key)
        if profile is None or not conversation.outbound.reaches(profile.channel):
            continue
        if profile.state.get(EXITED):
            continue  # paused since the quick exit, until the person writes again
        if not await store.claim_reminder(reminder_id, now):
            continue  # another round or process took it
        with use_language(conversation.catalogs, appointment.language):
            reply = reminder_text(conversation, appointment)
        try:
            if await conversation.outbound.to_person(profile.user_key, [reply]):
                sent += 1
            else:  # the quick exit came meanwhile
                await store.release_reminder(reminder_id)
        except Exception as exc:
            log.warning("reminder_send_failed error=%s", type(exc).__name__)
            await store.release_reminder(reminder_id)
    if sent:
        log.info("reminders_sent count=%d", sent)
    return sent


async def run_reminders(conversation: Conversation, stop: asyncio.Event) -> None:
    """Rounds until `stop` is set; the first round runs at once (catches up after a restart)."""
    while not stop.is_set():
        try:
            await send_due_reminders(conversation)
        except Exception:
            log.exception("reminder_round_failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), ROUND_SECONDS)
