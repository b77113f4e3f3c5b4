"""Words and numbers typed inside the booking flow: "jeudi", "demain à 14h", "14h30", "99".

On the day and time screens, a typed day or time that names an offered one is chosen directly,
as if its button had been tapped. A day without free time, a time that is not free, a number
that is none of the choices or words that name no day get a hint inside the flow, with the
choices again, never the general "not understood" menu. A question typed mid-flow still gets
its answer: urgent first, whatever the screen, then any topic the matcher recognises.
"""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import date, datetime

from bot.booking import Slot
from bot.config import AppointmentType, Location
from bot.conversation import Reply, StaleAction, Turn, choices_hint, escape
from bot.dates import clock, day_title
from bot.handlers.booking import (
    answer_risk,
    choose_day,
    choose_time,
    day_choice,
    free_slots,
    time_choice,
)
from bot.i18n import N_, _
from bot.typed_dates import DayWords, Typed, day_words, understand

# The actions of every booking screen: while one of them is offered, typed text comes here.
BOOKING_STEPS = frozenset({"bt", "br", "bl", "bd", "bs", "bc", "bo"})
# Relative days in every language, from the catalogs (Babel has no relative-day words).
RELATIVE_DAYS = ((0, N_("today")), (1, N_("tomorrow")), (2, N_("the day after tomorrow")))


class Screen:
    """What the booking screen last shown offered, read back from its actions."""

    def __init__(self, offered: list[str]) -> None:
        self.count = len(offered)
        self.confirming = any(action.startswith("bc:") for action in offered)
        self.kind_place: tuple[str, str] | None = None
        self.days: list[date] = []
        self.times: list[datetime] = []
        for action in offered:
            name, _sep, rest = action.partition(":")
            args = rest.split(":")
            if name not in {"bd", "bs"} or len(args) != 3:
                continue
            self.kind_place = self.kind_place or (args[0], args[1])
            try:
                if name == "bd":
                    self.days.append(datetime.strptime(args[2], "%Y%m%d").date())
                else:
                    self.times.append(Slot.parse_key(args[2]))
            except ValueError:
                continue

    @property
    def lists_days(self) -> bool:
        return bool(self.days) and not self.times and not self.confirming

    @property
    def lists_times(self) -> bool:
        return bool(self.times) and not self.confirming


def _words(turn: Turn) -> DayWords:
    relative = tuple(
        (turn.catalogs.get(lang).gettext(msgid), offset)
        for lang in turn.catalogs.languages
        for offset, msgid in RELATIVE_DAYS
    ) + tuple((msgid, offset) for offset, msgid in RELATIVE_DAYS)
    return day_words(tuple(turn.config.languages), relative)


async def typed_in_booking(turn: Turn) -> list[Reply] | None:
    text = (turn.event.text or "").strip()
    screen = Screen(list(turn.profile.state.get("offered", [])))
    if text.isdecimal():
        return await _again(turn, screen)
    match = turn.matcher.match(text, turn.lang)
    if match.urgent_kind is not None:
        return None  # the urgent steps come first, whatever the screen
    if (risk := _risk_answer(turn, text)) is not None:
        return await risk
    if screen.kind_place is not None:
        today = turn.now.astimezone(turn.zone).date()
        typed = understand(text, today, screen.days, _words(turn))
        if typed.day is not None or typed.time is not None:
            return await _choose(turn, screen, typed)
    if match.topic is not None:
        return None  # a question asked mid-flow gets its answer
    return await _again(turn, screen, _not_understood(turn, screen))


def _risk_answer(turn: Turn, text: str) -> Awaitable[list[Reply]] | None:
    """On "when was your last risk?", a typed time ("hier", "2 weeks ago") chooses the
    matching answer, as its button would."""
    offered: list[str] = turn.profile.state.get("offered", [])
    risk = [action for action in offered if action.startswith("br:")]
    hours = turn.matcher.age_in_hours(text, turn.lang) if risk else None
    if hours is None:
        return None
    answer = "recent" if hours <= 72 else "window" if hours < 24 * 90 else "old"
    chosen = next((a for a in risk if a.endswith(f":{answer}")), None)
    if chosen is None:
        return None
    return answer_risk(turn, chosen.split(":")[1:])


def _kind_and_place(turn: Turn, screen: Screen) -> tuple[AppointmentType, Location]:
    rules = turn.config.appointments
    kind = rules.type(screen.kind_place[0]) if rules and screen.kind_place else None
    place = turn.config.location(screen.kind_place[1]) if screen.kind_place else None
    if kind is None or place is None:
        raise StaleAction  # the config changed since the screen was shown
    return kind, place


async def _choose(turn: Turn, screen: Screen, typed: Typed) -> list[Reply]:
    kind, place = _kind_and_place(turn, screen)
    day = typed.day
    if day is None and screen.times:
        day = screen.times[0].astimezone(turn.zone).date()
    if day is None:
        return [await day_choice(turn, kind, place, _("Choose a day first, then the time."))]
    slots = await free_slots(turn, kind, place, day)
    if not slots:
        intro = _("There is no free time on {day}. Choose another day.").format(
            day=day_title(day, turn.lang)
        )
        return [await day_choice(turn, kind, place, intro)]
    if typed.time is None:
        return await choose_day(turn, [kind.id, place.id, f"{day:%Y%m%d}"])
    wanted = typed.time
    slot = next((s for s in slots if s.starts_at.astimezone(turn.zone).time() == wanted), None)
    if slot is None:
        intro = _("{time} is not free on {day}. Here are the free times:").format(
            time=clock(wanted, turn.lang), day=day_title(day, turn.lang)
        )
        return [await time_choice(turn, kind, place, day, intro)]
    return await choose_time(turn, [kind.id, place.id, slot.key])


def _not_understood(turn: Turn, screen: Screen) -> str:
    if screen.lists_times:
        example = clock(screen.times[0], turn.lang, turn.zone)
        return _(
            "I did not understand which time. You can also type one, such as {example}."
        ).format(example=example)
    if screen.lists_days:
        example = day_title(screen.days[0], turn.lang)
        return _(
            "I did not understand which day. You can also type one, such as {example}."
        ).format(example=example)
    return _("I did not understand.")


async def _again(turn: Turn, screen: Screen, reason: str | None = None) -> list[Reply]:
    """The hint, with the day or time choices again; on the other booking screens the hint
    alone, and a typed number still refers to the choices shown before."""
    reply: Reply | None = None
    if screen.lists_times or screen.lists_days:
        kind, place = _kind_and_place(turn, screen)
        if screen.lists_times:
            day = screen.times[0].astimezone(turn.zone).date()
            reply = await time_choice(turn, kind, place, day)
        else:
            reply = await day_choice(turn, kind, place)
    count = screen.count
    if reply is not None:
        count = sum(1 for row in reply.options for option in row if option.action)
    hint = " ".join(part for part in (reason, choices_hint(turn.event.person, count)) if part)
    if reply is None:
        return [Reply(escape(hint), keeps_choices=True)]
    reply.text = escape(hint) + "\n\n" + reply.text
    return [reply]
