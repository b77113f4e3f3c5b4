"""Dates, times and lists from CLDR in every language; days and times typed in words."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from bot.dates import (
    clock,
    colon,
    day_label,
    day_range,
    day_title,
    list_text,
    span,
    staff_when,
    time_range,
    when,
)
from bot.typed_dates import Typed, day_words, understand

BRUSSELS = ZoneInfo("Europe/Brussels")
TUESDAY = datetime(2026, 11, 24, 13, 30, tzinfo=BRUSSELS)
NNBSP = "\u202f"


@pytest.mark.parametrize(
    ("lang", "label", "title", "at"),
    [
        ("fr", "Mar. 24 nov.", "mardi 24 novembre", "mardi 24 novembre, 13:30"),
        ("nl", "Di 24 nov", "dinsdag 24 november", "dinsdag 24 november, 13:30"),
        # en_BE: day before month and the 24-hour clock, as people in Belgium read dates.
        ("en", "Tue, 24 Nov", "Tuesday, 24 November", "Tuesday, 24 November, 13:30"),
        ("es", "Mar, 24 nov", "martes, 24 de noviembre", "martes, 24 de noviembre, 13:30"),
        ("pt", "Ter., 24 de nov.", "terça-feira, 24 de novembro",
         "terça-feira, 24 de novembro 13:30"),
        ("ro", "Mar., 24 nov.", "marți, 24 noiembrie", "marți, 24 noiembrie, 13:30"),
        ("bg", "Вт, 24.11", "вторник, 24 ноември", "вторник, 24 ноември, 13:30 ч."),
    ],
)  # fmt: skip
def test_days_and_times_from_cldr(lang: str, label: str, title: str, at: str) -> None:
    assert day_label(TUESDAY.date(), lang) == label
    assert day_title(TUESDAY.date(), lang) == title
    assert when(TUESDAY, lang, BRUSSELS) == at


def test_french_typography() -> None:
    # CLDR's French date patterns use a plain day number: "1 décembre", not "1er décembre"
    # (the ordinal form exists only in CLDR's number-spelling rules, which Babel lacks).
    assert day_title(date(2026, 12, 1), "fr") == "mardi 1 décembre"
    assert time_range(time(9), time(12), "fr") == "09:00\u2009–\u200912:00"
    assert span("lundi", "vendredi", "fr") == "lundi\u2009–\u2009vendredi"
    assert list_text(["09:00–12:00", "13:30–16:00"], "fr") == "09:00–12:00 et 13:30–16:00"
    assert colon("fr") == NNBSP + ":" and colon("en") == ":"
    assert day_range(date(2026, 11, 24), date(2026, 11, 30), "fr") == "24–30 nov. 2026"
    assert staff_when(TUESDAY, "fr", BRUSSELS) == "mar. 24 nov. 2026, 13:30"


def test_times_in_every_language() -> None:
    assert clock(TUESDAY, "en", BRUSSELS) == "13:30"  # never "1:30 PM" in Belgium
    assert clock(time(9, 20), "es") == "9:20"
    assert clock(time(9, 20), "bg") == "09:20 ч."
    assert list_text(["a", "b"], "ro", style="or") == "a sau b"


RELATIVE = (
    ("today", 0), ("tomorrow", 1), ("the day after tomorrow", 2),
    ("aujourd'hui", 0), ("demain", 1), ("après-demain", 2),
    ("morgen", 1), ("overmorgen", 2), ("mañana", 1), ("pasado mañana", 2),
    ("amanhã", 1), ("depois de amanhã", 2), ("mâine", 1), ("poimâine", 2),
    ("утре", 1), ("вдругиден", 2),
)  # fmt: skip
WORDS = day_words(("fr", "nl", "en", "es", "pt", "ro", "bg"), RELATIVE)
MONDAY = date(2026, 11, 23)
OFFERED = [date(2026, 11, 24), date(2026, 11, 26), date(2026, 12, 1), date(2026, 12, 3)]
THU, TUE, WED = date(2026, 11, 26), date(2026, 11, 24), date(2026, 11, 25)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("jeudi", Typed(THU)),
        ("Jeudi !", Typed(THU)),
        ("thursday", Typed(THU)),
        ("thrusday", Typed(THU)),  # a typo in a long day name
        ("donderdag", Typed(THU)),
        ("jueves", Typed(THU)),
        ("quinta", Typed(THU)),  # "quinta-feira" as people type it
        ("joi", Typed(THU)),
        ("четвъртък", Typed(THU)),
        ("chetvartak", Typed(THU)),
        ("demain", Typed(TUE)),
        ("mâine", Typed(TUE)),
        ("maine", Typed(TUE)),
        ("утре", Typed(TUE)),
        ("amanhã", Typed(TUE)),
        ("après-demain", Typed(WED)),  # not "demain"
        ("pasado mañana", Typed(WED)),
        ("demain à 14h", Typed(TUE, time(14))),
        ("morgen om 9u20", Typed(TUE, time(9, 20))),
        ("tomorrow 2pm", Typed(TUE, time(14))),
        ("2:30 pm", Typed(None, time(14, 30))),
        ("14h30", Typed(None, time(14, 30))),
        ("14:00", Typed(None, time(14))),
        ("14.30", Typed(None, time(14, 30))),
        ("joi la 10", Typed(THU, time(10))),
        ("утре в 14 ч.", Typed(TUE, time(14))),
        ("26/11", Typed(THU)),
        ("26.11", Typed(THU)),
        ("le 3", Typed(date(2026, 12, 3))),
        ("jeudi 3", Typed(date(2026, 12, 3))),
        ("3 décembre", Typed(date(2026, 12, 3))),
        ("la 3 decembrie", Typed(date(2026, 12, 3))),
        ("3rd of December", Typed(date(2026, 12, 3))),
        # Numbers that are no day and no time.
        ("99", Typed()),
        ("72h", Typed()),
        ("it broke 2 days ago", Typed()),
        ("je veux un test", Typed()),
    ],
)
def test_typed_days_and_times(typed: str, expected: Typed) -> None:
    assert understand(typed, MONDAY, OFFERED, WORDS) == expected


def test_a_weekday_means_the_first_offered_one() -> None:
    later = [date(2026, 12, 3)]  # Thursday 26 November is full
    assert understand("jeudi", MONDAY, later, WORDS) == Typed(date(2026, 12, 3))
    # None offered: the next such day, so the answer can say that it is full.
    assert understand("mercredi", MONDAY, OFFERED, WORDS) == Typed(WED)
