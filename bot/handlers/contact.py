"""How to book by phone, for an organisation that has not configured online booking."""

from __future__ import annotations

from bot.conversation import Reply, Turn, escape
from bot.handlers.places import location_summary, menu_row
from bot.i18n import _

BOOKABLE = {"rapid_test", "nurse", "medical_permanence"}


async def show_booking_contacts(turn: Turn, args: list[str]) -> list[Reply]:
    places = [p for p in turn.config.locations if BOOKABLE & set(p.services)]
    intro = _(
        "To book a rapid test, the nurse or the free doctor's consultation, call or text us. "
        "You do not need to give your name."
    )
    text = "\n\n".join([escape(intro), *(location_summary(turn, p) for p in places)])
    return [Reply(text, [menu_row()], replace=turn.event.action is not None)]
