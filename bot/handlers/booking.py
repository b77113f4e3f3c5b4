"""Booking an appointment without a name: type, (last risk), place, day, time, confirmation,
then a booking code given at the desk. Seeing, moving and cancelling one's appointments.

The choices made so far live in the person's state (`booking`), so a restart in the middle of
the flow loses nothing; each flow has a random token that the confirmation button carries,
and the store refuses to use a token twice, so a replayed or stale button never books twice.
"""

from __future__ import annotations

import secrets
from datetime import date, datetime, timedelta
from typing import Any

from bot.booking import (
    Slot,
    bookable_window,
    can_still_change,
    new_code,
    reminder_times,
    slots_on,
)
from bot.config import Appointments, AppointmentType, Location, localized
from bot.conversation import (
    Option,
    Reply,
    StaleAction,
    Turn,
    escape,
    render_markup,
    upper_first,
)
from bot.dates import clock, day_label, day_title, staff_when, when
from bot.handlers.contact import show_booking_contacts
from bot.handlers.places import menu_row
from bot.handlers.urgent import urgent_answer
from bot.i18n import _, use_language
from bot.store.bookings import Appointment

MAX_DAYS_SHOWN = 8
NICKNAME_LIMIT = 20


def _rules(turn: Turn) -> Appointments:
    rules = turn.config.appointments
    if rules is None:
        raise StaleAction
    return rules


def _type(turn: Turn, type_id: str) -> AppointmentType:
    kind = _rules(turn).type(type_id)
    if kind is None:
        raise StaleAction
    return kind


def _location(turn: Turn, location_id: str) -> Location:
    place = turn.config.location(location_id)
    if place is None:
        raise StaleAction
    return place


def type_name(turn: Turn, kind: AppointmentType) -> str:
    return localized(kind.name, turn.lang, turn.config.default_language)


def when_text(turn: Turn, moment: datetime) -> str:
    """'mardi 24 novembre, 13:30' (bot/dates.py); `upper_first` it to start a line."""
    return when(moment, turn.lang, turn.zone)


def _state(turn: Turn) -> dict[str, Any]:
    booking: dict[str, Any] = turn.profile.state.setdefault("booking", {})
    return booking


def _rows(options: list[Option], per_row: int) -> list[list[Option]]:
    return [options[i : i + per_row] for i in range(0, len(options), per_row)]


# --- choosing -------------------------------------------------------------------------------
async def start_booking(turn: Turn, args: list[str]) -> list[Reply]:
    if turn.config.appointments is None:
        # An organisation without online booking: how to book by phone instead.
        return await show_booking_contacts(turn, args)
    rules = _rules(turn)
    turn.profile.state.pop("booking", None)
    turn.profile.state.pop("awaiting", None)
    kinds = [kind for kind in rules.types if rules.schedules_for(kind.id)]
    if len(kinds) == 1:
        return await choose_type(turn, [kinds[0].id])
    text = escape(_("What would you like to book? You do not need to give your name."))
    options = [[Option(type_name(turn, kind), f"bt:{kind.id}")] for kind in kinds]
    options.append([Option("🗓 " + _("My appointments"), "ba"), *menu_row()])
    return [Reply(text, options, replace=turn.event.action is not None)]


async def choose_type(turn: Turn, args: list[str]) -> list[Reply]:
    kind = _type(turn, args[0] if args else "")
    booking = _state(turn)
    if booking.get("type") != kind.id or "token" not in booking:
        turn.profile.state["booking"] = booking = {"type": kind.id, "token": secrets.token_hex(6)}
    booking.setdefault("reminders", True)
    booking.setdefault("detailed", False)
    if kind.asks_last_risk and "risk" not in booking:
        question = _("Before the test: when was your last risk?")
        examples = _("For example sex without a condom, a condom that broke, a shared needle.")
        text = escape(f"{question}\n{examples}")
        options = [
            [Option(_("Less than 3 days ago"), f"br:{kind.id}:recent")],
            [Option(_("Between 3 days and 3 months ago"), f"br:{kind.id}:window")],
            [Option(_("More than 3 months ago, or no risk"), f"br:{kind.id}:old")],
            [Option(_("I prefer not to say"), f"br:{kind.id}:unsaid")],
        ]
        return [Reply(text, options, replace=turn.event.action is not None)]
    return await _choose_location(turn, kind)


async def answer_risk(turn: Turn, args: list[str]) -> list[Reply]:
    if len(args) != 2 or args[1] not in {"recent", "window", "old", "unsaid"}:
        raise StaleAction
    kind = _type(turn, args[0])
    booking = _state(turn)
    # Only that it was asked is kept: the answer (when a risk was) is used for the advice
    # below and never stored.
    booking.update(type=kind.id, risk="asked")
    booking.setdefault("token", secrets.token_hex(6))
    notes = turn.content.notes[turn.lang]
    advice = []
    if args[1] == "recent":
        advice = [render_markup(notes.booking_risk_recent)]
    elif args[1] == "window":
        advice = [render_markup(notes.booking_risk_window)]
    if not advice:
        return await _choose_location(turn, kind)
    # Never refuse the booking: the advice comes with the way forward.
    options = []
    if args[1] == "recent":
        options.append([Option("🚨 " + _("PEP: what to do now"), "t:pep")])
    options.append([Option(_("Continue booking") + " ▶", f"bt:{kind.id}")])
    options.append(menu_row())
    return [Reply("\n\n".join(advice), options, replace=True)]


async def _choose_location(turn: Turn, kind: AppointmentType) -> list[Reply]:
    rules = _rules(turn)
    location_ids = list(dict.fromkeys(s.location for s in rules.schedules_for(kind.id)))
    if len(location_ids) == 1:
        return [await day_choice(turn, kind, _location(turn, location_ids[0]))]
    text = escape(_("Where?"))
    options = [
        [Option("📍 " + _location(turn, loc).name, f"bl:{kind.id}:{loc}")] for loc in location_ids
    ]
    options.append(menu_row())
    return [Reply(text, options, replace=turn.event.action is not None)]


async def choose_location(turn: Turn, args: list[str]) -> list[Reply]:
    if len(args) != 2:
        raise StaleAction
    kind, place = _type(turn, args[0]), _location(turn, args[1])
    booking = _state(turn)
    if booking.get("type") != kind.id:
        turn.profile.state["booking"] = booking = {"type": kind.id, "reminders": True}
    booking.setdefault("token", secrets.token_hex(6))
    return [await day_choice(turn, kind, place)]


async def free_slots(
    turn: Turn, kind: AppointmentType, place: Location, first: date, last: date | None = None
) -> list[Slot]:
    """Free slots from `first` to `last` (one day by default), with one database query."""
    rules = _rules(turn)
    earliest, last_day = bookable_window(rules, turn.now, turn.zone)
    end = min(last or first, last_day)
    slots: list[Slot] = []
    day = first
    while day <= end:
        slots += [
            s for s in slots_on(rules, kind.id, place.id, day, turn.zone) if s.starts_at >= earliest
        ]
        day += timedelta(days=1)
    if not slots:
        return []
    counts = await turn.store.booked_counts(
        kind.id, place.id, slots[0].starts_at, slots[-1].starts_at + timedelta(minutes=1)
    )
    return [s for s in slots if counts.get(s.starts_at, 0) < kind.capacity]


async def _days_with_room(turn: Turn, kind: AppointmentType, place: Location) -> list[date]:
    _earliest, last_day = bookable_window(_rules(turn), turn.now, turn.zone)
    today = turn.now.astimezone(turn.zone).date()
    days = sorted(
        {
            s.starts_at.astimezone(turn.zone).date()
            for s in await free_slots(turn, kind, place, today, last_day)
        }
    )
    return days[:MAX_DAYS_SHOWN]


async def day_choice(
    turn: Turn, kind: AppointmentType, place: Location, intro: str | None = None
) -> Reply:
    days = await _days_with_room(turn, kind, place)
    lines = [escape(intro)] if intro else []
    lines.append(f"<b>{escape(type_name(turn, kind))}</b> · {escape(place.name)}")
    if not days:
        lines.append(
            escape(_("There is no free time in the coming weeks. Call us: we will find a moment."))
        )
        phones = " · ".join(place.phones)
        if phones:
            lines.append("☎ " + escape(phones))
        return Reply("\n\n".join(lines), [menu_row()], replace=turn.event.action is not None)
    lines.append(escape(_("Which day?")))
    options = [
        Option(day_label(day, turn.lang), f"bd:{kind.id}:{place.id}:{day:%Y%m%d}") for day in days
    ]
    rows = _rows(options, 2)
    rows.append(menu_row())
    return Reply("\n\n".join(lines), rows, replace=turn.event.action is not None)


def _kind_place_and(turn: Turn, args: list[str]) -> tuple[AppointmentType, Location, str]:
    """Button arguments `type:location:value`, checked against the config."""
    if len(args) != 3:
        raise StaleAction
    return _type(turn, args[0]), _location(turn, args[1]), args[2]


async def choose_day(turn: Turn, args: list[str]) -> list[Reply]:
    kind, place, value = _kind_place_and(turn, args)
    try:
        day = datetime.strptime(value, "%Y%m%d").date()
    except ValueError as exc:
        raise StaleAction from exc
    _state(turn).setdefault("token", secrets.token_hex(6))
    return [await time_choice(turn, kind, place, day)]


async def time_choice(
    turn: Turn, kind: AppointmentType, place: Location, day: date, intro: str | None = None
) -> Reply:
    slots = await free_slots(turn, kind, place, day)
    if not slots:
        return await day_choice(
            turn, kind, place, intro or _("That day is now full. Choose another day.")
        )
    lines = [escape(intro)] if intro else []
    title = upper_first(day_title(day, turn.lang))
    lines.append(f"<b>{escape(title)}</b> · {escape(place.name)}")
    lines.append(escape(_("What time?")))
    options = [
        Option(clock(s.starts_at, turn.lang, turn.zone), f"bs:{kind.id}:{place.id}:{s.key}")
        for s in slots
    ]
    rows = _rows(options, 4)
    rows.append([Option("◀ " + _("Other day"), f"bl:{kind.id}:{place.id}"), *menu_row()])
    return Reply("\n\n".join(lines), rows, replace=turn.event.action is not None)


async def choose_time(turn: Turn, args: list[str]) -> list[Reply]:
    kind, place, value = _kind_place_and(turn, args)
    try:
        starts_at = Slot.parse_key(value)
    except ValueError as exc:
        raise StaleAction from exc
    booking = _state(turn)
    if booking.get("type") != kind.id:
        raise StaleAction
    booking.update(location=place.id, start=value)
    booking.setdefault("token", secrets.token_hex(6))
    booking.setdefault("reminders", True)
    return [confirmation(turn, kind, place, starts_at)]


def confirmation(turn: Turn, kind: AppointmentType, place: Location, starts_at: datetime) -> Reply:
    booking = _state(turn)
    lines = [
        "<b>" + escape(_("Please check:")) + "</b>",
        f"{escape(type_name(turn, kind))}\n{escape(place.name)}"
        + (f"\n{escape(place.address)}" if place.address else "")
        + f"\n🕑 {escape(upper_first(when_text(turn, starts_at)))}",
    ]
    if booking.get("nickname"):
        lines.append(escape(_("Nickname: {nickname}").format(nickname=booking["nickname"])))
    if booking.get("moving"):
        lines.append(
            escape(_("This replaces your appointment {code}.").format(code=booking["moving"]))
        )
    reminders = bool(booking.get("reminders"))
    if reminders:
        wording = (
            _("with the type of appointment")
            if booking.get("detailed")
            else _("discreet: no medical words")
        )
        lines.append(
            "🔔 "
            + escape(_("Reminders before the appointment ({wording}).").format(wording=wording))
        )
    else:
        lines.append("🔕 " + escape(_("No reminders.")))
    options = [
        [Option("✅ " + _("Confirm"), f"bc:{booking['token']}")],
        [
            Option(
                ("🔕 " + _("No reminders")) if reminders else ("🔔 " + _("Send me reminders")),
                "bo:rem",
            )
        ],
    ]
    if reminders:
        label = (
            _("Discreet reminders") if booking.get("detailed") else _("Say the type in reminders")
        )
        options.append([Option(label, "bo:det")])
    options.append([Option("✏️ " + _("Add a nickname (optional)"), "bo:nick")])
    options.append(
        [
            Option(
                "◀ " + _("Other time"),
                f"bd:{kind.id}:{place.id}:{starts_at.astimezone(turn.zone):%Y%m%d}",
            ),
            *menu_row(),
        ]
    )
    return Reply("\n\n".join(lines), options, replace=turn.event.action is not None)


def _pending(turn: Turn) -> tuple[AppointmentType, Location, datetime]:
    booking = _state(turn)
    if not {"type", "location", "start", "token"} <= booking.keys():
        raise StaleAction
    return (
        _type(turn, booking["type"]),
        _location(turn, booking["location"]),
        Slot.parse_key(booking["start"]),
    )


async def change_option(turn: Turn, args: list[str]) -> list[Reply]:
    booking = _state(turn)
    choice = args[0] if args else ""
    if choice == "nick":
        _pending(turn)
        turn.profile.state["awaiting"] = "nickname"
        text = escape(
            _("Type a nickname the team may call you by (not your real name), or 0 to skip.")
        )
        return [Reply(text)]
    if choice == "rem":
        booking["reminders"] = not booking.get("reminders")
    elif choice == "det":
        booking["detailed"] = not booking.get("detailed")
    else:
        raise StaleAction
    return [confirmation(turn, *_pending(turn))]


async def typed_nickname(turn: Turn) -> list[Reply]:
    text = " ".join((turn.event.text or "").split())
    if (urgent := urgent_answer(turn, text)) is not None:
        # "je veux mourir" is not a nickname: the steps first, the booking still waits.
        return [urgent]
    turn.profile.state.pop("awaiting", None)
    booking = _state(turn)
    if text and text != "0":
        if len(text) > NICKNAME_LIMIT:
            turn.profile.state["awaiting"] = "nickname"
            return [
                Reply(
                    escape(_("Please use at most {count} characters.").format(count=NICKNAME_LIMIT))
                )
            ]
        booking["nickname"] = text
    return [confirmation(turn, *_pending(turn))]


async def confirm(turn: Turn, args: list[str]) -> list[Reply]:
    token = args[0] if args else ""
    booking = _state(turn)
    if token != booking.get("token"):
        earlier = await _booked_with(turn, token)
        if earlier is not None:
            return [_booked_reply(turn, earlier, already=True)]
        raise StaleAction
    kind, place, starts_at = _pending(turn)
    rules = _rules(turn)
    earliest, _last = bookable_window(rules, turn.now, turn.zone)
    if starts_at < earliest:
        reply = await time_choice(
            turn,
            kind,
            place,
            starts_at.astimezone(turn.zone).date(),
            _("That time is too close now. Choose another one."),
        )
        return [reply]
    outcome = await turn.store.book(
        code=new_code(),
        user_key=turn.profile.user_key,
        kind=kind.id,
        location=place.id,
        starts_at=starts_at,
        capacity=kind.capacity,
        language=turn.lang,
        nickname=booking.get("nickname"),
        reminders=reminder_times(rules, starts_at, turn.now) if booking.get("reminders") else [],
        detailed=bool(booking.get("detailed")),
        request_id=token,
        now=turn.now,
        replacing=booking.get("moving"),
    )
    if outcome.result == "full":
        booking["token"] = secrets.token_hex(6)
        day = starts_at.astimezone(turn.zone).date()
        return [
            await time_choice(
                turn,
                kind,
                place,
                day,
                _("Sorry, this time was just taken. Here are the free times:"),
            )
        ]
    if outcome.result == "gone":
        turn.profile.state.pop("booking", None)
        return [
            Reply(
                escape(_("This appointment can no longer be changed.")), [menu_row()], replace=True
            )
        ]
    assert outcome.appointment is not None
    appointment = outcome.appointment
    turn.profile.state.pop("booking", None)
    if outcome.result == "booked":
        moved = booking.get("moving")
        turn.staff_notices.append(
            staff_notice(turn, "moved" if moved else "new", appointment, moved)
        )
    return [_booked_reply(turn, appointment, already=outcome.result == "replayed")]


async def _booked_with(turn: Turn, token: str) -> Appointment | None:
    """The appointment an earlier confirmation button of this person booked, if any."""
    if not token:
        return None
    appointment = await turn.store.appointment_by_request(token)
    if appointment is None or appointment.user_key != turn.profile.user_key:
        return None
    return appointment


def _booked_reply(turn: Turn, appointment: Appointment, already: bool) -> Reply:
    kind = _type(turn, appointment.type)
    place = _location(turn, appointment.location)
    lines = []
    if already:
        lines.append(escape(_("This appointment is already booked.")))
    lines += [
        "✅ <b>" + escape(_("Booked.")) + "</b>",
        escape(_("Your code:")) + f" <b>{escape(appointment.code)}</b>",
        escape(_("Give this code at the desk instead of your name.")),
        f"{escape(type_name(turn, kind))}\n{escape(place.name)}"
        + (f"\n{escape(place.address)}" if place.address else "")
        + f"\n🕑 {escape(upper_first(when_text(turn, appointment.starts_at)))}",
    ]
    options = [[Option("🗓 " + _("My appointments"), "ba"), *menu_row()]]
    return Reply("\n\n".join(lines), options, replace=True)


# --- managing -------------------------------------------------------------------------------
async def my_appointments(turn: Turn, args: list[str]) -> list[Reply]:
    upcoming = await turn.store.upcoming_for(turn.profile.user_key, turn.now)
    if not upcoming:
        text = escape(_("You have no appointment coming up."))
        return [
            Reply(
                text,
                [[Option("📅 " + _("Book an appointment"), "book"), *menu_row()]],
                replace=turn.event.action is not None,
            )
        ]
    lines = ["<b>" + escape(_("Your appointments")) + "</b>"]
    options = []
    for appointment in upcoming:
        kind = _rules(turn).type(appointment.type)
        name = type_name(turn, kind) if kind else appointment.type
        when = upper_first(when_text(turn, appointment.starts_at))
        lines.append(f"• {escape(when)} – {escape(name)} – <b>{escape(appointment.code)}</b>")
        options.append([Option(f"{appointment.code} · {when}", f"am:{appointment.code}")])
    options.append([Option("📅 " + _("Book another"), "book"), *menu_row()])
    return [Reply("\n".join(lines), options, replace=turn.event.action is not None)]


async def _own(turn: Turn, code: str) -> Appointment:
    appointment = await turn.store.appointment(code)
    if appointment is None or appointment.user_key != turn.profile.user_key:
        raise StaleAction
    return appointment


async def show_appointment(turn: Turn, args: list[str]) -> list[Reply]:
    appointment = await _own(turn, args[0] if args else "")
    if appointment.status != "booked":
        return await my_appointments(turn, [])
    reply = _booked_reply(turn, appointment, already=False)
    reply.text = reply.text.split("\n\n", 1)[1]  # without the "Booked." headline
    if can_still_change(_rules(turn), appointment.starts_at, turn.now):
        reply.options = [
            [
                Option("🔁 " + _("Move"), f"mv:{appointment.code}"),
                Option("✖ " + _("Cancel it"), f"ac:{appointment.code}"),
            ],
            [Option("◀ " + _("My appointments"), "ba"), *menu_row()],
        ]
    else:
        place = _location(turn, appointment.location)
        reply.text += (
            "\n\n"
            + escape(_("It is too late to change it here. Call us:"))
            + " "
            + escape(" · ".join(place.phones))
        )
    return [reply]


async def ask_cancel(turn: Turn, args: list[str]) -> list[Reply]:
    appointment = await _own(turn, args[0] if args else "")
    text = escape(
        _("Cancel the appointment {code} on {when}?").format(
            code=appointment.code, when=when_text(turn, appointment.starts_at)
        )
    )
    options = [
        [Option("✖ " + _("Yes, cancel it"), f"ax:{appointment.code}")],
        [Option("◀ " + _("No, keep it"), f"am:{appointment.code}")],
    ]
    return [Reply(text, options, replace=True)]


async def cancel(turn: Turn, args: list[str]) -> list[Reply]:
    appointment = await _own(turn, args[0] if args else "")
    if not can_still_change(_rules(turn), appointment.starts_at, turn.now):
        return await show_appointment(turn, [appointment.code])
    cancelled = await turn.store.cancel(appointment.code, turn.profile.user_key, turn.now)
    if cancelled is None:  # already cancelled, by a replayed button
        return await my_appointments(turn, [])
    turn.staff_notices.append(staff_notice(turn, "cancelled", cancelled, None))
    text = escape(_("Cancelled. Thank you for telling us: someone else can take this time."))
    return [Reply(text, [[Option("📅 " + _("Book another"), "book"), *menu_row()]], replace=True)]


async def move(turn: Turn, args: list[str]) -> list[Reply]:
    appointment = await _own(turn, args[0] if args else "")
    if appointment.status != "booked" or not can_still_change(
        _rules(turn), appointment.starts_at, turn.now
    ):
        return await show_appointment(turn, [appointment.code])
    turn.profile.state["booking"] = {
        "type": appointment.type,
        "location": appointment.location,
        "moving": appointment.code,
        "token": secrets.token_hex(6),
        "reminders": appointment.reminders,
        "detailed": appointment.detailed,
        "risk": "asked",
    }
    return [
        await day_choice(turn, _type(turn, appointment.type), _location(turn, appointment.location))
    ]


# --- staff ----------------------------------------------------------------------------------
def staff_notice(turn: Turn, event: str, appointment: Appointment, replaced: str | None) -> str:
    """Pseudonymous: the code, the nickname if given, the language; never who the person is."""
    staff_lang = turn.config.default_language
    with use_language(turn.catalogs, staff_lang):
        titles = {
            "new": "📅 " + _("New appointment"),
            "moved": "🔁 " + _("Appointment moved"),
            "cancelled": "✖ " + _("Appointment cancelled"),
        }
        kind = _rules(turn).type(appointment.type)
        place = turn.config.location(appointment.location)
        parts = [
            f"<b>{escape(titles[event])}</b> · <b>{escape(appointment.code)}</b>",
            escape(localized(kind.name, staff_lang, staff_lang) if kind else appointment.type)
            + " · "
            + escape(place.name if place else appointment.location),
            escape(staff_when(appointment.starts_at, staff_lang, turn.zone)),
            escape(_("Language: {name}.").format(name=appointment.language.upper())),
        ]
        if appointment.nickname:
            parts.append(escape(_("Nickname: {nickname}").format(nickname=appointment.nickname)))
        if replaced:
            parts.append(escape(_("Replaces {code}.").format(code=replaced)))
    return "\n".join(parts)
