"""A day or a time typed in words: "jeudi", "demain à 14h", "14h30", "thursday 2pm", "joi la 10",
"четвъртък", "26/11".

Pure: no conversation state. Day and month names come from CLDR (Babel) in every language the
bot speaks, because people mix languages; "today", "tomorrow" and "the day after tomorrow" come
from the interface catalogs (Babel ships CLDR's day names but not its relative-day words). Text
is normalised like questions are (bot/matching.py: accents dropped, Cyrillic transliterated),
so "mâine", "maine", "утре" and "utre" all count.

What counts as a time, so that numbers in a sentence are not taken for one: a number with a
separator and minutes ("14:30", "14h30", "14u30", "14.30"), with an hour word ("14h", "14 uur",
"14 ч."), with am/pm ("2pm"), or after a preposition ("à 14", "om 9", "la 10").
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, time, timedelta
from functools import cached_property, lru_cache

from babel import Locale
from rapidfuzz import fuzz, process

from bot.keywords import capped, normalise

# Typos in long day names ("thrusday", "chetvurtak") are tolerated from this similarity.
FUZZY_DAY_NAME = 85

HOUR = r"([01]?\d|2[0-3])"
_CLOCK = re.compile(rf"(?<![\d/.:]){HOUR}\s*(?::|h|u|\.)\s*([0-5]\d)(?![\d/])")
_MERIDIEM = re.compile(r"(?<![\d/.:])(1[0-2]|0?[1-9])(?::([0-5]\d))?\s*([ap])\.?\s?m\b\.?")
_HOUR_WORD = re.compile(
    rf"(?<![\d/.:]){HOUR}\s*(?:h|u|uur|heures?|hours?|hrs?|horas?|ore|ч|часа)(?![\w])\.?"
)
# Not before a word: "la 3 decembrie" is a date.
_AFTER_PREPOSITION = re.compile(
    rf"(?:^|\s)(?:à|a|om|at|las|às|as|la|в|v|um)\s+{HOUR}(?![\d:./])(?!\s*[^\W\d_]{{3}})"
)
_NUMERIC_DATE = re.compile(
    r"(?<![\d:])(\d{1,2})\s*([/.-])\s*(\d{1,2})(?:\s*[/.-]\s*(\d{4}|\d{2}))?(?![\d:])"
)
# "26 de noviembre", "26th of November", "1er décembre".
_BETWEEN_DAY_AND_MONTH = {"de", "of", "th", "st", "nd", "rd", "er", "e"}
# Words before a bare day number: "le 26", "on the 26th", "op 26".
_BEFORE_DAY_NUMBER = {"le", "the", "op", "el", "dia", "pe", "na", "on", "am", "den"}


@dataclass(frozen=True)
class Typed:
    """What was understood; either part may be missing."""

    day: date | None = None
    time: time | None = None


@dataclass(frozen=True)
class DayWords:
    """Every language's words for weekdays, months and relative days, normalised."""

    weekdays: tuple[tuple[tuple[str, ...], int], ...]
    months: tuple[tuple[str, int], ...]
    relative: tuple[tuple[tuple[str, ...], int], ...]

    @cached_property
    def single_names(self) -> dict[str, int]:
        """One-word weekday names, for typos ("thrusday")."""
        return {phrase[0]: index for phrase, index in self.weekdays if len(phrase) == 1}

    @cached_property
    def weekday_words(self) -> frozenset[str]:
        return frozenset(word for phrase, _index in self.weekdays for word in phrase)


@lru_cache(maxsize=8)
def day_words(languages: tuple[str, ...], relative: tuple[tuple[str, int], ...]) -> DayWords:
    """`relative`: ("demain", 1), ("tomorrow", 1), ("aujourd'hui", 0)... in every language."""
    weekdays: set[tuple[tuple[str, ...], int]] = set()
    months: set[tuple[str, int]] = set()
    for lang in languages:
        locale = Locale.parse(lang)
        for context in ("format", "stand-alone"):
            for index, name in locale.days[context]["wide"].items():
                words = tuple(normalise(name))
                weekdays.add((words, index))
                # Portuguese "quinta-feira" is said and typed "quinta".
                if len(words) > 1 and len(words[0]) >= 5:
                    weekdays.add((words[:1], index))
            for width in ("wide", "abbreviated"):
                for number, name in locale.months[context][width].items():
                    for word in normalise(name):
                        if len(word) >= 3:
                            months.add((word, number))
    phrases = {(tuple(normalise(text)), offset) for text, offset in relative}
    return DayWords(
        weekdays=tuple(sorted(weekdays, key=lambda item: -len(item[0]))),
        months=tuple(sorted(months)),
        # Longest first: "pasado mañana" before "mañana", "après-demain" before "demain".
        relative=tuple(sorted((p for p in phrases if p[0]), key=lambda item: -len(item[0]))),
    )


def understand(text: str, today: date, offered: Sequence[date], words: DayWords) -> Typed:
    """The day and the time in `text`. A weekday means the first offered day that is one (or
    the next such day when none is offered, so the answer can say it is full)."""
    rest = capped(text).casefold()
    moment, rest = _find_time(rest)
    day, rest = _find_numeric_date(rest, today)
    tokens = normalise(rest)
    if day is None:
        day = _relative_day(tokens, today, words)
    if day is None:
        day = _named_date(tokens, today, words)
    if day is None:
        day = _weekday(tokens, today, offered, words)
    return Typed(day, moment)


def _find_time(text: str) -> tuple[time | None, str]:
    for pattern in (_MERIDIEM, _CLOCK, _HOUR_WORD, _AFTER_PREPOSITION):
        found = pattern.search(text)
        if found is None:
            continue
        groups = found.groups()
        hour = int(groups[0])
        minute = int(groups[1]) if len(groups) > 1 and groups[1] else 0
        if pattern is _MERIDIEM:
            hour = hour % 12 + (12 if found.group(3) == "p" else 0)
        rest = text[: found.start()] + " " + text[found.end() :]
        return time(hour, minute), rest
    return None, text


def _find_numeric_date(text: str, today: date) -> tuple[date | None, str]:
    for found in _NUMERIC_DATE.finditer(text):
        day, separator, month, year = found.groups()
        # "14.30" is a time; "26.11" (no hour 26) and "26.11.2026" are dates.
        if separator == "." and year is None and int(day) <= 23:
            continue
        when = _next_date(today, int(day), int(month), _full_year(year))
        if when is not None:
            return when, text[: found.start()] + " " + text[found.end() :]
    return None, text


def _full_year(year: str | None) -> int | None:
    if year is None:
        return None
    return int(year) + (2000 if len(year) == 2 else 0)


def _next_date(today: date, day: int, month: int | None, year: int | None = None) -> date | None:
    """The first date on or after today with this day (and month, and year) number."""
    candidates: Iterable[tuple[int, int]]
    if year is not None and month is not None:
        candidates = [(year, month)]
    elif month is not None:
        candidates = [(today.year, month), (today.year + 1, month)]
    else:
        first = today.replace(day=1)
        following = (first + timedelta(days=32)).replace(day=1)
        candidates = [(first.year, first.month), (following.year, following.month)]
    for year_, month_ in candidates:
        try:
            found = date(year_, month_, day)
        except ValueError:
            continue
        if found >= today or year is not None:
            return found
    return None


def _relative_day(tokens: list[str], today: date, words: DayWords) -> date | None:
    for phrase, offset in words.relative:
        if _contains(tokens, phrase):
            return today + timedelta(days=offset)
    return None


def _named_date(tokens: list[str], today: date, words: DayWords) -> date | None:
    """ "26 novembre", "26th of November", "on the 26th", "jeudi 26"."""
    months = dict(words.months)
    for index, token in enumerate(tokens):
        if len(token) > 2 or not token.isdigit() or not 1 <= int(token) <= 31:
            continue
        following = tokens[index + 1 : index + 4]
        while following and following[0] in _BETWEEN_DAY_AND_MONTH:
            following = following[1:]
        month = months.get(following[0]) if following else None
        before = tokens[index - 1] if index else ""
        window = tokens[max(index - 2, 0) : index]
        # A weekday name (or a typo of one, 6 letters or more) can only be among the words
        # before if one of them is one: "12 12 12 …" costs a set test per number.
        maybe_day = any(t in words.weekday_words or len(t) >= 6 for t in window)
        if (
            month is not None
            or before in _BEFORE_DAY_NUMBER
            or (maybe_day and _weekday_index(window, words) is not None)
        ):
            return _next_date(today, int(token), month)
    return None


def _weekday(
    tokens: list[str], today: date, offered: Sequence[date], words: DayWords
) -> date | None:
    weekday = _weekday_index(tokens, words)
    if weekday is None:
        return None
    for day in offered:
        if day.weekday() == weekday:
            return day
    return today + timedelta(days=(weekday - today.weekday()) % 7)


def _weekday_index(tokens: list[str], words: DayWords) -> int | None:
    for phrase, index in words.weekdays:
        if _contains(tokens, phrase):
            return index
    names = words.single_names
    # Each word once: "thrusday thrusday…" is one comparison with the names, not thousands.
    for token in dict.fromkeys(tokens):
        if len(token) < 6:
            continue
        best = process.extractOne(
            token, list(names), scorer=fuzz.ratio, score_cutoff=FUZZY_DAY_NAME
        )
        if best is not None:
            return names[best[0]]
    return None


def _contains(tokens: list[str], phrase: tuple[str, ...]) -> bool:
    if phrase[0] not in tokens:  # most phrases: one pass in C, not a slice per word
        return False
    size = len(phrase)
    return any(tuple(tokens[i : i + size]) == phrase for i in range(len(tokens) - size + 1))
