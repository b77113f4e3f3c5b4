"""Places, hours, partners and emergency numbers, rendered from the config in the person's
language. "Open now" is computed in the organisation's time zone (Europe/Brussels)."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from babel.dates import format_timedelta, get_day_names

from bot.config import WEEKDAYS, Hours, Location, Partner, localized, opening_status
from bot.conversation import Option, Reply, StaleAction, Turn, escape, upper_first
from bot.dates import clock, colon, day_title, list_text, locale_for, span, time_range
from bot.i18n import _
from bot.labels import EMERGENCY_LABELS, PARTNER_LABELS, SERVICE_LABELS, label


def _hm(turn: Turn, moment: datetime | time) -> str:
    return clock(moment, turn.lang)


def hours_lines(turn: Turn, hours: Hours) -> list[str]:
    """'Monday – Friday: 09:00–12:00 and 13:30–16:00', grouping consecutive days alike; the
    ranges, the list and the colon as each language writes them (bot/dates.py)."""
    names = get_day_names("wide", locale=locale_for(turn.lang))
    groups: list[tuple[int, int, str]] = []
    for index, day in enumerate(WEEKDAYS):
        spans = hours.spans.get(day)
        if not spans:
            continue
        text = list_text([time_range(s.start, s.end, turn.lang) for s in spans], turn.lang)
        if groups and groups[-1][1] == index - 1 and groups[-1][2] == text:
            groups[-1] = (groups[-1][0], index, text)
        else:
            groups.append((index, index, text))
    lines = []
    for first, last, text in groups:
        days = names[first] if first == last else span(names[first], names[last], turn.lang)
        lines.append(f"{escape(upper_first(days) + colon(turn.lang))} {escape(text)}")
    return lines


def status_line(turn: Turn, hours: Hours) -> str:
    if hours.is_empty():
        return escape(_("No fixed hours: call before you come."))
    status = opening_status(hours, turn.now, turn.zone)
    if status.open_now and status.closes_at is not None:
        return "🟢 " + escape(_("Open now, until {time}.").format(time=_hm(turn, status.closes_at)))
    if status.next_opening is not None:
        return "🔴 " + escape(_("Closed now. Opens {day} at {time}.")).format(
            day=escape(_relative_day(turn, status.next_opening)),
            time=escape(_hm(turn, status.next_opening)),
        )
    return "🔴 " + escape(_("Closed now."))


def _relative_day(turn: Turn, moment: datetime) -> str:
    today = turn.now.astimezone(turn.zone).date()
    delta = (moment.date() - today).days
    if delta == 0:
        return _("today")
    if delta == 1:
        return _("tomorrow")
    return day_title(moment.date(), turn.lang)


def location_summary(turn: Turn, place: Location) -> str:
    lines = [f"<b>{escape(place.name)}</b>"]
    if place.address:
        lines.append(escape(place.address))
    if place.phones:
        lines.append("☎ " + escape(" · ".join(place.phones)))
    lines.append(status_line(turn, place.hours))
    return "\n".join(lines)


def location_details(turn: Turn, place: Location) -> str:
    parts = [location_summary(turn, place)]
    if place.email:
        parts.append("✉ " + escape(place.email))
    if not place.hours.is_empty():
        parts.append(
            "<b>"
            + escape(_("Opening hours"))
            + "</b>\n"
            + "\n".join(hours_lines(turn, place.hours))
        )
    if place.stops:
        parts.append(
            "<b>" + escape(_("Stops")) + "</b>\n" + "\n".join("• " + escape(s) for s in place.stops)
        )
    services = "\n".join("• " + escape(label(SERVICE_LABELS, s)) for s in place.services)
    parts.append("<b>" + escape(_("What you can find here")) + "</b>\n" + services)
    if place.note:
        parts.append(escape(localized(place.note, turn.lang, turn.config.default_language)))
    return "\n\n".join(parts)


def partner_line(turn: Turn, partner: Partner) -> str:
    bits = [f"<b>{escape(partner.name)}</b> ({escape(partner.city)})"]
    if partner.address:
        bits.append(escape(partner.address))
    if partner.phone:
        bits.append("☎ " + escape(partner.phone))
    if partner.email:
        bits.append("✉ " + escape(partner.email))
    if partner.always_open:
        bits.append(escape(_("open 24/7")))
    line = " – ".join(bits)
    if partner.note:
        line += "\n" + escape(localized(partner.note, turn.lang, turn.config.default_language))
    return line


def partners_block(turn: Turn, kind: str) -> str:
    # Nearest first: the regions where the organisation itself works come before the others.
    home = list(dict.fromkeys(place.region for place in turn.config.locations))
    partners = sorted(
        turn.config.partners_of(kind),
        key=lambda p: home.index(p.region) if p.region in home else len(home),
    )
    if not partners:
        return ""
    title = "<b>" + escape(label(PARTNER_LABELS, kind)) + "</b>"
    return title + "\n" + "\n".join("• " + partner_line(turn, p) for p in partners)


def emergency_block(turn: Turn, kind: str | None = None) -> str:
    """Every emergency number, or, for `kind`, 112 and the numbers of that kind (a suicide
    answer shows the suicide-prevention lines, not the poison centre)."""
    lines = []
    for entry in turn.config.emergency_numbers:
        if kind is not None and entry.kind != "ambulance_fire" and not entry.kind.startswith(kind):
            continue
        extras = []
        if entry.free:
            extras.append(_("free"))
        if entry.always_open:
            extras.append(_("24/7"))
        suffix = f" ({escape(list_text(extras, turn.lang))})" if extras else ""
        lines.append(
            f"<b>{escape(entry.number)}</b> – {escape(label(EMERGENCY_LABELS, entry.kind))}{suffix}"
        )
    return "\n".join(lines)


def locations_block(turn: Turn) -> str:
    return "\n\n".join(location_summary(turn, place) for place in turn.config.locations)


def retention_block(turn: Turn) -> str:
    """How long things are kept, from the config, so the words never drift from the purge."""
    rules = turn.config.retention
    lines = [
        _("Appointments are deleted {days} days after their date.").format(
            days=rules.appointments_days
        ),
        _("Closed conversations with the team are deleted after {days} days.").format(
            days=rules.closed_conversations_days
        ),
        _("Everything about you is deleted after {days} days without writing.").format(
            days=rules.inactive_people_days
        ),
        _("Messages for the team are deleted by the bot once delivered.")
        + " "
        + _("The team reads them in its Telegram group."),
        _("/forget deletes everything now. The quick exit clears this chat."),
    ]
    hours = turn.config.signal.disappearing_messages_hours
    if turn.event.person.channel == "signal" and hours:
        period = format_timedelta(timedelta(hours=hours), locale=turn.lang, threshold=1.5)
        lines.append(
            _(
                "On Signal, the bot turns on disappearing messages: messages in this chat "
                "disappear after {period}. You can change the timer in the chat settings."
            ).format(period=period)
        )
    return "\n".join("• " + escape(line) for line in lines)


def render_include(turn: Turn, name: str) -> str:
    """Blocks a content page can pull from the config (`include:` in content files)."""
    if name == "retention":
        return retention_block(turn)
    if name == "locations":
        return locations_block(turn)
    if name == "emergency":
        return emergency_block(turn)
    if name.startswith("emergency:"):
        return emergency_block(turn, name.split(":", 1)[1])
    if name.startswith("partners:"):
        return partners_block(turn, name.split(":", 1)[1])
    raise ValueError(f"unknown include {name!r}")


def menu_row() -> list[Option]:
    return [Option("☰ " + _("Menu"), "menu")]


async def show_places(turn: Turn, args: list[str]) -> list[Reply]:
    intro = escape(_("Where to find us. Choose a place for its address, hours and services."))
    text = (
        intro
        + "\n\n"
        + "\n\n".join(
            f"<b>{escape(place.name)}</b>\n{status_line(turn, place.hours)}"
            for place in turn.config.locations
        )
    )
    options = [[Option("📍 " + place.name, f"loc:{place.id}")] for place in turn.config.locations]
    options.append([Option("🆘 " + _("Emergency numbers"), "emergency")])
    options.append(menu_row())
    return [Reply(text, options, replace=turn.event.action is not None)]


async def show_location(turn: Turn, args: list[str]) -> list[Reply]:
    place = turn.config.location(args[0]) if args else None
    if place is None:
        raise StaleAction
    options = [[Option("◀ " + _("All places"), "services")], menu_row()]
    return [Reply(location_details(turn, place), options, replace=True)]


async def show_emergency(turn: Turn, args: list[str]) -> list[Reply]:
    text = "<b>" + escape(_("Emergency and help numbers")) + "</b>\n\n" + emergency_block(turn)
    return [Reply(text, [menu_row()], replace=turn.event.action is not None)]


async def show_numbers(turn: Turn, args: list[str]) -> list[Reply]:
    """`call:<id>`: the numbers of one place or partner (phones are tappable in the apps)."""
    target = args[0] if args else ""
    place = turn.config.location(target)
    if place is not None:
        text = location_summary(turn, place)
    else:
        partner = next((p for p in turn.config.partners if p.id == target), None)
        if partner is None:
            raise StaleAction
        text = partner_line(turn, partner)
    return [Reply(text, [menu_row()])]
