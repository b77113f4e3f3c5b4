"""Free-text matching speed: milliseconds per question, cold (first sight of every word) and warm.

Run: .venv/bin/python benchmarks/match_speed.py
"""

from __future__ import annotations

import asyncio
import gc
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.checks import check_everything  # noqa: E402
from bot.evaluation import load_questions  # noqa: E402
from bot.matching import Matcher  # noqa: E402

QUESTION_SETS = [
    ROOT.parent / "shared" / "eval" / "questions-dev.yaml",
    ROOT / "tests" / "data" / "questions-extra.yaml",
    *sorted((ROOT / "tests" / "data" / "triage").glob("*.yaml")),
]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> None:
    started = time.perf_counter()
    checked = asyncio.run(check_everything(ROOT / "config.example.yaml", ROOT / "content"))
    load_ms = (time.perf_counter() - started) * 1000
    questions = [q for path in QUESTION_SETS if path.exists() for q in load_questions(path)]
    # As the bot does once loaded (bot/runtime.py): long-lived objects out of the collector's way.
    gc.collect()
    gc.freeze()
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


if __name__ == "__main__":
    main()
