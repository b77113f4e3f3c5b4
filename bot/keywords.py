"""The keyword files (`content/<lang>/keywords.yaml`) and how typed text is read to meet them.

Each language's file lists, per topic, the words and phrases that lead a typed question there,
and the triage signals (urgent kinds, time words, words that make a signal a question). Staff
edit these files; `bot/matching.py` decides with them. Text and keywords go through the same
`normalise`, so accents, case, Cyrillic and the ways people type without them do not matter.
"""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field
from unidecode import unidecode

from bot.errors import load_per_language

KEYWORDS_FILE = "keywords.yaml"


class TimeWords(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    hour: list[str] = Field(default_factory=list)
    day: list[str] = Field(default_factory=list)
    week: list[str] = Field(default_factory=list)
    month: list[str] = Field(default_factory=list)
    year: list[str] = Field(default_factory=list)


class Triage(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    # A risk of HIV that just happened: condom broke, sex without a condom, shared needle.
    exposure: list[str] = Field(min_length=1)
    # Sexual assault: urgent, and PEP is part of the answer.
    sexual_violence: list[str] = Field(min_length=1)
    # Being hit, threatened, hurt by someone.
    violence: list[str] = Field(min_length=1)
    # Signs of exploitation: passport taken, debt to a "sponsor", forced work, pimp.
    exploitation: list[str] = Field(min_length=1)
    # Suicidal thoughts or self-harm ("I want to die", "cut myself"): urgent whatever the time.
    suicide: list[str] = Field(min_length=1)
    # A condom word near a failure word, in any order ("the condom I had broke",
    # "s-a rupt prezervativul"), or a "without" word just before a condom or protection word
    # ("sans protection", "fara prezervativ"), is an exposure too: these generalise where
    # listing every phrase would not.
    condom: list[str] = Field(default_factory=list)
    failure: list[str] = Field(default_factory=list)
    # A refusal ("I said no", "told him to stop", "did not want") near a word of going on
    # anyway ("he continued", "anyway", "did not stop") is a sexual assault told without
    # naming it: the pair generalises where listing whole sentences would not.
    refusal: list[str] = Field(default_factory=list)
    persisted: list[str] = Field(default_factory=list)
    without: list[str] = Field(default_factory=list)
    protection: list[str] = Field(default_factory=list)
    # Words of a recent event ("last night"), and words of a question about what might happen
    # or what someone wants ("if", "a client wants"): an exposure with the second and without
    # the first is a question, not an emergency ("can I refuse a client who wants it without
    # a condom?"). Without either, an exposure counts as recent: time not said is urgent.
    recent: list[str] = Field(default_factory=list)
    hypothetical: list[str] = Field(default_factory=list)
    # Words that place an event too long ago for PEP ("last week", "last month").
    long_ago: list[str] = Field(default_factory=list)
    # Words that place an event beyond a month ago ("last year", "years ago", "when I was
    # young"): violence that long ago is a question about rights or support, not an emergency.
    distant: list[str] = Field(default_factory=list)
    # Words that make a length of time a duration, not an age ("for two years", "depuis 2
    # ans"): "he has been hitting me for two years" is happening now.
    ongoing: list[str] = Field(default_factory=list)
    # Words for "ago" ("il y a", "ago", "geleden", "hace", "acum", "преди"): for violence, a
    # number is an age only next to one of these.
    ago: list[str] = Field(default_factory=list)
    # Words of a question about the law, someone else or what might happen ("is it legal",
    # "my friend", "what if"): violence or exploitation words with one of these and no recent
    # time are a question, not a disclosure.
    general: list[str] = Field(default_factory=list)
    # Units after a number: "3 jours", "48h".
    units: TimeWords = Field(default_factory=TimeWords)


class Keywords(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    topics: dict[str, list[str]]
    triage: Triage


# Bulgarian's official streamlined romanisation, which is also how most people type Bulgarian
# in Latin letters ("skasa", "shte", "yu"); unidecode alone would give "sk'sa", "shch", "iu".
_BULGARIAN_LATIN = str.maketrans(
    {
        "ъ": "a", "Ъ": "A", "щ": "sht", "Щ": "Sht", "х": "h", "Х": "H", "ю": "yu", "Ю": "Yu",
        "я": "ya", "Я": "Ya", "й": "y", "Й": "Y", "ь": "y", "ц": "ts", "Ц": "Ts",
    }
)  # fmt: skip


# Bulgarian typed in Latin letters uses digits for the letters Latin lacks: "pi6e" (пише),
# "moje6" (можеш), "6te" (ще). Only after a letter, or in "6te", so that "72h", "4 jours" and
# "50 50" keep their digits.
_DIGIT_LETTERS = re.compile(r"(?<=[a-z])([46])(?![0-9])|\b(6)(?=te\b)")


# French texting drops the vowel of "je" before a consonant: "jveux", "jsuis", "jme" are
# "j veux", "j suis", "j me". No word of the supported languages starts with j and a consonant.
_FRENCH_JE = re.compile(r"\bj(?=[bcdfghklmnpqrstvwxz][a-z])")


# Bulgarian typed in Latin letters writes я as "q" ("pomnq", "nqma"): inside a word and not in
# "qu", so the texting "q" for "que" stays as it is.
_BULGARIAN_Q = re.compile(r"(?<=[a-z])q(?!u)")


# How much of a typed message is read. The 2,321 questions of the test sets are 50 characters
# at the median and 141 at most; 1,500 characters is some 250 words, a long story told in one
# message. Longer text (Signal takes 40,000 characters and more; Telegram cuts at 4,096) is
# read by its beginning, where people say why they write, and its end, where a story told in
# order reaches what just happened, and the question: the middle is left out. Reading is linear
# in what is read, so this bounds what any message costs: under 8 ms for a turn's readings of
# 1,500 characters of keywords in every language, the worst case measured (BENCHMARKS.md,
# "Hostile input"), against 10 ms allowed.
MAX_TYPED_CHARACTERS = 1_500
TAIL_CHARACTERS = 400
# Where the middle was left out. The words either side of it are read as neighbours: a phrase
# across it would need its words to fall exactly there, which is not worth a special case.
_LEFT_OUT = "\n…\n"

# "72h" -> "72 h" so the number and its unit are two words. Zero-width on purpose: the obvious
# r"(\d+)([a-z]+)" retried every start inside a run of digits, each one scanning the rest of
# the run: 12 s for a 40,960-digit message, 0.12 s for 4,096 digits.
_NUMBER_THEN_LETTER = re.compile(r"(?<=[0-9])(?=[a-z])")
_WORD = re.compile(r"[a-z0-9]+")


def capped(text: str) -> str:
    """The part of a typed message that is read: all of it up to `MAX_TYPED_CHARACTERS`,
    else its beginning and its end (`TAIL_CHARACTERS`), without the word cut at either side.

    Every reader of typed text starts here (the matcher, small talk, typed dates, the language
    guess), so a 40,000-character Signal message costs what a long question costs. Reading
    what was read again changes nothing: the result is never longer than the cap."""
    if len(text) <= MAX_TYPED_CHARACTERS:
        return text
    cut = MAX_TYPED_CHARACTERS - TAIL_CHARACTERS - len(_LEFT_OUT)
    head, tail = text[:cut], text[-TAIL_CHARACTERS:]
    # A word cut in two is another word ("capote" -> "cap"): drop its piece. A message without
    # spaces (only digits, one letter repeated) keeps it: there is nothing better to read.
    if text[cut - 1].isalnum() and text[cut].isalnum():
        head = head.rsplit(None, 1)[0]
    if text[-TAIL_CHARACTERS - 1].isalnum() and tail[0].isalnum():
        tail = tail.split(None, 1)[-1]
    return head + _LEFT_OUT + tail


def typed_words(text: str) -> list[str]:
    """The words of a typed message, as the keyword files' words are read."""
    return normalise(capped(text))


def normalise(text: str) -> list[str]:
    """Words in ASCII, lower case: "Презервативът скъса 72ч" -> ["prezervativat", "skasa",
    "72", "ch"]. Linear in the text (no pattern here backtracks), but not capped: typed text
    goes through `typed_words`."""
    if not text.isascii():  # unidecode reads character by character, in Python
        text = unidecode(text.translate(_BULGARIAN_LATIN))
    ascii_text = text.lower()
    ascii_text = _DIGIT_LETTERS.sub(lambda m: "ch" if m.group(0) == "4" else "sh", ascii_text)
    ascii_text = _FRENCH_JE.sub("j ", ascii_text)
    ascii_text = _BULGARIAN_Q.sub("ya", ascii_text)
    ascii_text = _NUMBER_THEN_LETTER.sub(" ", ascii_text)
    return _WORD.findall(ascii_text)


def load_keywords(content_dir: Path, languages: list[str]) -> dict[str, Keywords]:
    return load_per_language(Keywords, content_dir, languages, KEYWORDS_FILE)
