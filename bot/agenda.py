"""The staff agenda: a day's or a period's appointments, as chat text or an iCalendar file."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from itertools import groupby

from bot.config import Config, localized
from bot.conversation import escape, upper_first
from bot.dates import clock, colon, day_range, day_title, day_with_year
from bot.i18n import _
from bot.store.bookings import Appointment

ICAL_DOMAIN = "parapluie.invalid"


def period(config: Config, first_day: date, days: int) -> tuple[datetime, datetime]:
    """UTC bounds of whole local days, so a day is a day across the DST change."""
    start = datetime.combine(first_day, time(0), tzinfo=config.zone)
    end = datetime.combine(first_day + timedelta(days=days), time(0), tzinfo=config.zone)
    return start.astimezone(UTC), end.astimezone(UTC)


def type_label(config: Config, type_id: str) -> str:
    kind = config.appointments.type(type_id) if config.appointments else None
    return (
        localized(kind.name, config.default_language, config.default_language) if kind else type_id
    )


def agenda_text(config: Config, appointments: list[Appointment], first_day: date, days: int) -> str:
    """For the staff chat and the terminal: by day, location and type; codes, never names."""
    lang = config.default_language
    if days == 1:
        title = day_with_year(first_day, lang)
    else:
        title = day_range(first_day, first_day + timedelta(days=days - 1), lang)
    heading = _("Agenda")
    lines = [f"<b>{escape(heading)} · {escape(title)}</b>"]
    if not appointments:
        lines.append(escape(_("No appointments.")))
        return "\n".join(lines)
    status_marks = {"booked": "", "done": " ✓", "missed": " ✗"}

    def local_day(a: Appointment) -> date:
        return a.starts_at.astimezone(config.zone).date()

    ordered = sorted(appointments, key=lambda a: (local_day(a), a.location, a.type, a.starts_at))
    for day, by_day in groupby(ordered, key=local_day):
        if days > 1:
            lines.append("\n<b>" + escape(upper_first(day_title(day, lang))) + "</b>")
        for location, by_place in groupby(by_day, key=lambda a: a.location):
            place = config.location(location)
            lines.append("\n📍 <b>" + escape(place.name if place else location) + "</b>")
            for type_id, items in groupby(by_place, key=lambda a: a.type):
                lines.append("<i>" + escape(type_label(config, type_id)) + "</i>")
                for a in items:
                    at = clock(a.starts_at, lang, config.zone)
                    nickname = f" · {escape(a.nickname)}" if a.nickname else ""
                    lines.append(
                        f"{at} · <b>{escape(a.code)}</b>{nickname} · {a.language.upper()}"
                        f"{status_marks.get(a.status, '')}"
                    )
    lines.append("\n" + escape(_("Mark: /done CODE or /missed CODE")))
    return "\n".join(lines)


def agenda_ics(config: Config, appointments: list[Appointment]) -> bytes:
    """One event per appointment, stable UIDs (the booking code), times in Europe/Brussels."""
    # Imported here: only the agenda export needs it, and it costs start-up time.
    from icalendar import Calendar, Event

    calendar = Calendar()
    calendar.add("prodid", "-//Parapluie//Agenda//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-timezone", config.timezone)
    for a in appointments:
        kind = config.appointments.type(a.type) if config.appointments else None
        minutes = kind.slot_minutes if kind else 30
        place = config.location(a.location)
        event = Event()
        event.add("uid", f"{a.code}@{ICAL_DOMAIN}")
        event.add("dtstamp", datetime.now(UTC))
        start = a.starts_at.astimezone(config.zone)
        event.add("dtstart", start)
        event.add("dtend", start + timedelta(minutes=minutes))
        event.add("summary", f"{a.code} · {type_label(config, a.type)}")
        if place is not None:
            event.add("location", place.address or place.name)
        language = _("Language") + colon(config.default_language)
        details = [f"{language} {a.language.upper()}"]
        if a.nickname:
            details.append(_("Nickname: {nickname}").format(nickname=a.nickname))
        event.add("description", "\n".join(details))
        event.add("status", "CONFIRMED" if a.status == "booked" else "TENTATIVE")
        calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()
