"""Free-text matching speed: milliseconds per question, cold (first sight of every word) and warm;
then hostile input (issue 13, point 12): every reading of typed text on messages of 4,096 and
40,960 characters, as one turn reads them.

Run: .venv/bin/python benchmarks/match_speed.py [--hostile-only]
"""

from __future__ import annotations

import asyncio
import gc
import random
import statistics
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.checks import check_everything  # noqa: E402
from bot.commands import command_key  # noqa: E402
from bot.evaluation import load_questions  # noqa: E402
from bot.language_guess import guess_language  # noqa: E402
from bot.matching import Matcher  # noqa: E402
from bot.typed_dates import day_words, understand  # noqa: E402

LANGUAGES = ["fr", "nl", "en", "es", "pt", "ro", "bg"]
# Hostile input: a unit repeated to the length measured. The last three are the worst found:
# made-up words (each compared with the keyword words for typos), and keyword words and
# phrases of every language (each a candidate phrase to look for).
HOSTILE_UNITS = {
    "digits": "7",
    "one letter": "a",
    "spaces, then a word": " " * 4095 + "x",
    "punctuation": "!?.,;:-",
    "emoji": "😢🙏🏽",
    "combining accents": "e\u0301\u0300\u0302",
    "'capote ' repeated": "capote ",
    "mixed languages": (
        "Bonjour, la capote a craqué hier soir avec un client 2x, j'ai peur!! Het condoom is "
        "gescheurd. Презервативът се скъса снощи 😢 hola necesito ayuda 12/11 à 14h30 "
    ),
    "Bulgarian with digits": "презерватив 6te pi6e 72ч 123 скъса ",
    "right to left": "مرحبا أحتاج مساعدة 123 שלום עזרה ",
    "numbers and hours": "12 14h30 26/11 ",
}
TURN_TARGET_MS = 10.0

QUESTION_SETS = [
    ROOT.parent / "shared" / "eval" / "questions-dev.yaml",
    ROOT / "tests" / "data" / "questions-extra.yaml",
    *sorted((ROOT / "tests" / "data" / "triage").glob("*.yaml")),
]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> None:
    hostile_only = "--hostile-only" in sys.argv
    started = time.perf_counter()
    checked = asyncio.run(check_everything(ROOT / "config.example.yaml", ROOT / "content"))
    load_ms = (time.perf_counter() - started) * 1000
    questions = [q for path in QUESTION_SETS if path.exists() for q in load_questions(path)]
    # As the bot does once loaded (bot/runtime.py): long-lived objects out of the collector's way.
    gc.collect()
    gc.freeze()
    if hostile_only:
        hostile(checked.matcher)
        return
    cold: list[float] = []
    warm: list[float] = []
    for _round in range(5):
        # A fresh matcher has an empty word cache: every word is looked up for the first time.
        matcher = Matcher.__new__(Matcher)
        matcher.__dict__.update(checked.matcher.__dict__)
        matcher._word_cache = {}
        for question in questions:
            t0 = time.perf_counter()
            matcher.match(str(question["text"]), str(question["lang"]))
            cold.append((time.perf_counter() - t0) * 1000)
        for question in questions:
            t0 = time.perf_counter()
            matcher.match(str(question["text"]), str(question["lang"]))
            warm.append((time.perf_counter() - t0) * 1000)
    print(f"content, config and keywords loaded and checked in {load_ms:.0f} ms")
    print(f"{len(questions)} questions x 5 rounds")
    for name, values in (("cold", cold), ("warm", warm)):
        print(
            f"{name}: mean {statistics.mean(values):.3f} ms, p50 {percentile(values, 0.5):.3f} ms, "
            f"p99 {percentile(values, 0.99):.3f} ms, max {max(values):.3f} ms"
        )
    worst = max(cold)
    verdict = "met" if worst < 5 else "NOT met"
    print(f"target: under 5 ms per question -> {verdict} (worst {worst:.3f} ms)")
    hostile(checked.matcher)


def hostile(matcher: Matcher) -> None:
    """Each reading of typed text, cold (a fresh word cache: made-up words are new every
    time), the median of 5; then the readings of one turn together, which is how long the
    event loop waits: a typed question (match, small talk, language) and a typed answer in the
    booking (match, "when was your last risk?", typed day and time)."""
    rng = random.Random(13)
    vocabulary = sorted({word for phrase in matcher._phrases for word in phrase.words})
    units = dict(HOSTILE_UNITS)
    units["made-up words"] = " ".join(
        "".join(rng.choice("abcdefghijklmnoprstuv") for _ in range(rng.randint(5, 9)))
        for _ in range(6000)
    )
    units["keyword words"] = " ".join(rng.choice(vocabulary) for _ in range(8000))
    units["keyword phrases"] = " ".join(rng.choice(matcher._phrases).text for _ in range(5000))
    small_talk = matcher.small_talk
    assert small_talk is not None
    words = day_words(tuple(LANGUAGES), (("demain", 1), ("tomorrow", 1), ("aujourd'hui", 0)))
    today = date(2026, 11, 24)
    readings: dict[str, Callable[[str], object]] = {
        "match": lambda text: matcher.match(text, "fr"),
        "small talk": lambda text: small_talk.recognise(text, "fr"),
        "language": lambda text: guess_language(text, LANGUAGES),
        "risk age": lambda text: matcher.age_in_hours(text, "fr"),
        "typed day": lambda text: understand(text, today, [], words),
    }
    turns = {
        "question": ("match", "small talk", "language"),
        "booking": ("match", "risk age", "typed day"),
    }
    guess_language("bonjour, je voudrais faire un test", LANGUAGES)  # loads the model

    def median_ms(read: Callable[[str], object], text: str) -> float:
        times = []
        for _round in range(5):
            matcher._word_cache = {}
            started = time.perf_counter()
            read(text)
            times.append((time.perf_counter() - started) * 1000)
        return statistics.median(times)

    names = [*readings, *(f"{turn} turn" for turn in turns), "command word"]
    print("\nhostile input, ms (cold, median of 5)")
    print(f"{'input':24} {'chars':>6} " + " ".join(f"{name:>12}" for name in names))
    worst = 0.0
    for name, unit in units.items():
        for length in (4096, 40960):
            text = (unit * (length // len(unit) + 1))[:length]
            row = [median_ms(read, text) for read in readings.values()]
            for parts in turns.values():
                turn = [readings[part] for part in parts]
                row.append(median_ms(lambda t, turn=turn: [read(t) for read in turn], text))
            worst = max(worst, *row[len(readings) :])
            # Not matching, and not capped: how a channel tells a command word from text
            # (bot/channels/text.py), measured for the record.
            row.append(median_ms(lambda t: command_key(t.strip()), text))
            print(f"{name:24} {length:>6} " + " ".join(f"{ms:12.2f}" for ms in row))
    verdict = "met" if worst < TURN_TARGET_MS else "NOT met"
    target = f"a turn's readings under {TURN_TARGET_MS:.0f} ms"
    print(f"target: {target} -> {verdict} (worst {worst:.2f} ms)")


if __name__ == "__main__":
    main()
