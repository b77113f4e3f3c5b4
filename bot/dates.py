"""Dates, times, lists and punctuation in the person's language, from CLDR (Babel's locale data).

Nothing here assembles a date by hand: patterns come from CLDR's skeletons ("MMMMEEEEd" gives
"mardi 24 novembre" in French, "вторник, 24 ноември" in Bulgarian), times and ranges from the
locale's own formats, lists from its list patterns ("a, b et c").

Two things CLDR does not give, said here so nobody adds them by hand elsewhere:
- the French "1er décembre": CLDR's date patterns use a plain day number ("1 décembre"); the
  "1er" form exists only in CLDR's number-spelling rules (RBNF), which Babel does not ship.
- the space French puts before ":", "?" and "!": CLDR has no punctuation-spacing data, so
  `colon()` holds that one typographic rule (U+202F, the narrow no-break space the Imprimerie
  nationale's rules call for), used only where the bot itself joins a label and a value.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, tzinfo
from functools import lru_cache

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_datetime, format_interval, match_skeleton
from babel.lists import format_list

from bot.conversation import upper_first

# The organisations are in Belgium: CLDR's Belgian variants (fr_BE, nl_BE, en_BE) put the day
# before the month and use the 24-hour clock, as people there read dates. Languages without a
# Belgian variant (es, pt, ro, bg) use their own conventions.
REGION = "BE"
NARROW_NO_BREAK_SPACE = "\u202f"
# Languages that put a (narrow no-break) space before a colon.
SPACE_BEFORE_COLON = {"fr": NARROW_NO_BREAK_SPACE}

# Letters of the same field: "L" is a stand-alone month, "c" a stand-alone weekday.
_FIELD_OF = {"L": "M", "c": "E"}
# From which width a field is a name rather than a number ("E" is always a weekday name,
# "MMM" a month name, "MM" a month number). Other fields (day, hour, year) are numbers.
_NAME_FROM = {"E": 1, "M": 3, "L": 3, "c": 3}


@lru_cache(maxsize=32)
def locale_for(lang: str) -> Locale:
    """The CLDR locale for a language: its Belgian variant where there is one."""
    try:
        return Locale.parse(f"{lang}_{REGION}")
    except (UnknownLocaleError, ValueError):
        return Locale.parse(lang)


@lru_cache(maxsize=128)
def skeleton_pattern(skeleton: str, lang: str) -> str:
    """The locale's pattern for a skeleton, field widths adjusted to the skeleton's.

    CLDR lists patterns for some skeletons only; the closest one is adapted, as CLDR's pattern
    generator does (TR35, "Matching Skeletons"): asked for "MMMMEEEEd", French has "MMMEd" =
    "E d MMM", which becomes "EEEE d MMMM". Babel's `format_skeleton` skips that last step, so
    it would print "mar. 24 nov." for a wide date.
    """
    locale = locale_for(lang)
    skeletons = locale.datetime_skeletons
    best = skeleton if skeleton in skeletons else match_skeleton(skeleton, skeletons)
    if best is None:
        raise KeyError(f"no CLDR pattern near {skeleton!r} for {lang}")
    return _widen(str(skeletons[best]), _field_widths(skeleton))


def _field_widths(skeleton: str) -> dict[str, int]:
    widths: dict[str, int] = {}
    for letter in skeleton:
        key = _FIELD_OF.get(letter, letter)
        widths[key] = widths.get(key, 0) + 1
    return widths


def _widen(pattern: str, widths: dict[str, int]) -> str:
    """Month and weekday names take the width asked for; numbers keep the locale's choice
    (Bulgarian "d.MM" stays numeric even when a month name was asked for)."""
    out: list[str] = []
    index, quoted = 0, False
    while index < len(pattern):
        char = pattern[index]
        if char == "'":
            quoted = not quoted
        if quoted or not char.isalpha():
            out.append(char)
            index += 1
            continue
        run = 1
        while index + run < len(pattern) and pattern[index + run] == char:
            run += 1
        wanted = widths.get(_FIELD_OF.get(char, char), 0)
        is_name = char in _NAME_FROM and run >= _NAME_FROM[char]
        out.append(char * (wanted if is_name and wanted >= _NAME_FROM[char] else run))
        index += run
    return "".join(out)


def day_label(day: date, lang: str) -> str:
    """Short, for a button: "Mar. 24 nov.", "Tue, 24 Nov"."""
    return upper_first(format_date(day, skeleton_pattern("MMMEd", lang), locale=locale_for(lang)))


def day_title(day: date, lang: str) -> str:
    """The day with its weekday, in the language's own case for the middle of a sentence:
    "mardi 24 novembre", "Tuesday, 24 November" (`upper_first` it to start a line)."""
    return format_date(day, skeleton_pattern("MMMMEEEEd", lang), locale=locale_for(lang))


def day_with_year(day: date, lang: str) -> str:
    """With the year, at the start of a line: "Mardi 24 novembre 2026"."""
    return upper_first(format_date(day, "full", locale=locale_for(lang)))


def clock(moment: datetime | time, lang: str, zone: tzinfo | None = None) -> str:
    """The locale's 24-hour time: "13:30", Bulgarian "13:30 ч."."""
    pattern = skeleton_pattern("Hm", lang)
    if isinstance(moment, time):
        moment = datetime.combine(date(2000, 1, 1), moment)
        zone = None
    return format_datetime(moment, pattern, tzinfo=zone, locale=locale_for(lang))


def when(moment: datetime, lang: str, zone: tzinfo) -> str:
    """An appointment's day and time, in the language's own case: "mardi 24 novembre, 13:30"."""
    local = moment.astimezone(zone)
    glue = str(locale_for(lang).datetime_formats["full"])
    return glue.format(clock(local, lang, zone), day_title(local.date(), lang))


def staff_when(moment: datetime, lang: str, zone: tzinfo) -> str:
    """For staff notices, with the year: "mar. 24 nov. 2026, 13:30"."""
    local = moment.astimezone(zone)
    day = format_date(local.date(), skeleton_pattern("yMMMEd", lang), locale=locale_for(lang))
    glue = str(locale_for(lang).datetime_formats["medium"])
    return glue.format(clock(local, lang, zone), day)


def time_range(start: time, end: time, lang: str) -> str:
    """CLDR's interval format: "09:00–12:00", French "09:00 – 12:00"."""
    anchor = date(2000, 1, 1)
    return format_interval(
        datetime.combine(anchor, start),
        datetime.combine(anchor, end),
        "Hm",
        locale=locale_for(lang),
    )


def day_range(first: date, last: date, lang: str) -> str:
    """CLDR's interval format for days: "24–30 nov. 2026"."""
    return format_interval(first, last, "yMMMd", locale=locale_for(lang))


def span(first: str, last: str, lang: str) -> str:
    """Two words as a range, with the locale's fallback interval pattern: "lundi – vendredi"."""
    pattern = locale_for(lang).interval_formats.get(None) or "{0}–{1}"
    return str(pattern).format(first, last)


def list_text(items: Sequence[str], lang: str, style: str = "standard") -> str:
    """The locale's list pattern: "a, b et c"; `style="or"` gives "a, b ou c"."""
    return format_list(list(items), style=style, locale=locale_for(lang))  # type: ignore[arg-type]


def colon(lang: str) -> str:
    """The colon after a label, with the space before it that French typography wants."""
    return SPACE_BEFORE_COLON.get(lang, "") + ":"
