"""How to reach the team: the places' numbers and hours, with the emergency numbers.

This is what `book` and `talk` show until booking and the staff relay are built on top.
"""

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


async def show_team_contacts(turn: Turn, args: list[str]) -> list[Reply]:
    offices = [p for p in turn.config.locations if p.kind == "office"]
    intro = _("To talk to someone from the team, call or text us:")
    emergency = _("In an emergency, call 112 (ambulance) or 101 (police).")
    text = "\n\n".join(
        [escape(intro), *(location_summary(turn, p) for p in offices), escape(emergency)]
    )
    return [Reply(text, [menu_row()], replace=turn.event.action is not None)]
