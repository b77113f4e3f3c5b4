"""Hostile or absurd typed input (issue 13, point 12): a message of any length costs what a
long question costs, and is still read where people put what matters.

No test here times anything (timings are in benchmarks/match_speed.py): each checks what the
person would get, or how much of a message the matcher is given to work on.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import date

import pytest

from bot.checks import check_everything
from bot.keywords import MAX_TYPED_CHARACTERS, capped, typed_words
from bot.language_guess import guess_language
from bot.matching import Matcher
from bot.typed_dates import DayWords, day_words, understand
from tests.conftest import ROOT, RunningBot, SignalPerson, TelegramPerson

LANGUAGES = ["fr", "nl", "en", "es", "pt", "ro", "bg"]
URGENT_FR = "Bonjour, la capote a craqué hier soir avec un client. "
# Words that are in no keyword list, to fill a long message with.
FILLER = "Il faisait beau et nous avons parlé de tout et de rien pendant des heures. "


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    checked = asyncio.run(check_everything(ROOT / "config.example.yaml", ROOT / "content"))
    return checked.matcher


@pytest.fixture(scope="module")
def words() -> DayWords:
    return day_words(tuple(LANGUAGES), (("demain", 1), ("tomorrow", 1), ("aujourd'hui", 0)))


def test_a_long_message_is_read_by_its_beginning_and_its_end() -> None:
    question = "la capote a craqué hier soir, que faire ?"
    assert capped(question) == question
    story = URGENT_FR + FILLER * 600 + "Que dois-je faire maintenant ?"
    read = capped(story)
    assert len(read) <= MAX_TYPED_CHARACTERS
    assert read.startswith(URGENT_FR)
    assert read.endswith("Que dois-je faire maintenant ?")
    assert capped(read) == read  # reading again what was read changes nothing
    # The words either side of what is left out are whole: "capote" is never read as "cap".
    assert set(typed_words("capote " * 6000)) == {"capote"}


def test_urgent_words_at_the_start_or_the_end_of_40000_characters_are_found(
    matcher: Matcher,
) -> None:
    filler = FILLER * 540  # 40,500 characters
    at_start = matcher.match(URGENT_FR + filler, "fr")
    at_end = matcher.match(filler + URGENT_FR, "fr")
    assert at_start.urgent_kind == "exposure" and at_start.topic == "pep"
    assert at_end.urgent_kind == "exposure" and at_end.topic == "pep"
    # The middle of a message this long is not read: that is the price of a bounded cost.
    in_the_middle = matcher.match(FILLER * 270 + URGENT_FR + FILLER * 270, "fr")
    assert not in_the_middle.urgent


def _readers(matcher: Matcher, words: DayWords) -> dict[str, Callable[[str], object]]:
    """Every reading typed text goes through: questions, small talk, the booking's typed
    day and time and its "when was your last risk?", the language offer."""
    small_talk = matcher.small_talk
    assert small_talk is not None
    return {
        "match": lambda text: matcher.match(text, "fr").as_json(),
        "urgent": lambda text: matcher.match(text, "bg").urgent_kinds,
        "age": lambda text: matcher.age_in_hours(text, "en"),
        "small talk": lambda text: small_talk.recognise(text, "fr"),
        "typed date": lambda text: understand(text, date(2026, 11, 24), [], words),
        "language": lambda text: guess_language(text, LANGUAGES),
        "words": typed_words,
    }


# A repeated unit: the message of 4,096 characters and the one of 40,960 (or thereabouts)
# begin and end alike, so whatever reads no further than the cap answers both alike.
HOSTILE = {
    "digits": "7",
    "one letter": "a",
    "spaces then a word": " " * 4095 + "x",
    "punctuation": "!?.,;:-",
    "emoji": "😢🙏🏽",
    "combining accents": "e\u0301\u0300\u0302",
    "repeated word": "capote ",
    "Bulgarian with digits": "презерватив 6te pi6e 72ч 123 скъса ",
    "right to left": "مرحبا أحتاج مساعدة 123 שלום עזרה ",
    "numbers and hours": "12 14h30 26/11 ",
}


@pytest.mark.parametrize("name", HOSTILE)
def test_4096_and_40960_characters_are_read_alike(
    name: str, matcher: Matcher, words: DayWords
) -> None:
    unit = HOSTILE[name]
    short = unit * max(1, 4096 // len(unit))
    long = unit * max(10, 40960 // len(unit))
    for reader, read in _readers(matcher, words).items():
        assert read(short) == read(long), reader


def test_the_matcher_looks_at_no_more_words_than_the_cap_holds(
    matcher: Matcher, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The work per message is bounded by the cap, not by the message: each word it looks up
    is compared with hundreds of keyword words (typos), so that is the count that matters."""
    looked_up: list[str] = []
    look_up = matcher._keyword_words_for

    def counting(word: str) -> tuple[frozenset[str], ...]:
        looked_up.append(word)
        return look_up(word)

    monkeypatch.setattr(matcher, "_keyword_words_for", counting)
    # 8,000 different made-up words ("baaa", "caaa"...), 40,000 characters.
    letters = "bcdfghjklmnprstvz"
    made_up = " ".join(
        "".join(letters[(n // len(letters) ** k) % len(letters)] for k in range(4))
        for n in range(8000)
    )
    matcher.match(made_up, "fr")
    assert 0 < len(looked_up) <= MAX_TYPED_CHARACTERS // 2  # a letter and a space at least


def test_numbers_too_long_for_python_are_read_without_error(
    matcher: Matcher, words: DayWords
) -> None:
    """Python refuses int() on more than 4,300 digits: a typed number that long must not
    break the booking's "when was your last risk?" nor its typed day."""
    hours = matcher.age_in_hours("9" * 5000 + " days ago", "en")
    assert hours is not None and hours > 72  # a very long time ago: no PEP
    assert understand("4" * 5000 + " novembre", date(2026, 11, 24), [], words).day is None


async def test_4096_digits_on_telegram_get_a_sensible_answer(
    running_bot: RunningBot, maria: TelegramPerson
) -> None:
    digits = "7" * 4096  # Telegram's longest message
    async with running_bot():
        first = await maria.send(digits)
        # Not a number of any choice: the menu, with a word on what to do.
        assert "Je ne suis pas sûr d'avoir compris" in first.text
        assert "🚨 TPE – après un risque" in first.button_labels()
        again = await maria.send(digits)
        assert again.text == "Choisissez un des boutons, ou envoyez 0 pour le menu."
        urgent = await maria.send(URGENT_FR + "7" * (4096 - len(URGENT_FR)))
        assert urgent.text.startswith("⚠️ TPE")


async def test_40000_characters_on_signal_are_read_at_both_ends(
    running_bot: RunningBot, ana: SignalPerson
) -> None:
    async with running_bot():
        await ana.send("salut")
        told_first = await ana.send(URGENT_FR + FILLER * 540)
        told_last = await ana.send(FILLER * 540 + URGENT_FR)
    assert told_first.startswith("⚠️ TPE"), told_first[:200]
    assert told_last.startswith("⚠️ TPE"), told_last[:200]
