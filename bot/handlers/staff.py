"""Staff commands, accepted only in the staff chat: /agenda [date], /done CODE, /missed CODE."""

from __future__ import annotations

from datetime import date, datetime

from bot.agenda import agenda_text, period
from bot.booking import normalise_code
from bot.conversation import Conversation, escape
from bot.i18n import _, use_language


def parse_day(text: str, today: date) -> date | None:
    text = text.strip().lower()
    if not text:
        return today
    for pattern in ("%Y-%m-%d", "%d/%m/%Y", "%d/%m", "%d.%m.%Y", "%d.%m"):
        try:
            parsed = datetime.strptime(text, pattern).date()
        except ValueError:
            continue
        return parsed.replace(year=today.year) if "%Y" not in pattern else parsed
    return None


async def staff_command(conversation: Conversation, command: str, args: str) -> str | None:
    """The answer to post in the staff chat, or None for commands that are not staff's."""
    config, store = conversation.config, conversation.store
    now = conversation.clock()
    today = now.astimezone(config.zone).date()
    with use_language(conversation.catalogs, config.default_language):
        if command == "agenda":
            day = parse_day(args, today)
            if day is None:
                return escape(_("Give a date like 2026-11-24 or 24/11."))
            start, end = period(config, day, 1)
            return agenda_text(config, await store.agenda(start, end), day, 1)
        if command in {"done", "missed"}:
            code = normalise_code(args)
            marked = await store.mark(code, command, now)
            if marked is None:
                return escape(
                    _("No booked appointment with the code {code}.").format(code=code or "?")
                )
            if command == "done":
                return "✓ " + escape(_("{code} marked as done.").format(code=code))
            return "✗ " + escape(_("{code} marked as missed.").format(code=code))
    return None
