"""Accuracy of free-text matching on a labelled question set (YAML, as in shared/eval/).

Each entry: {lang, text, accept: [topic ids counted as correct], urgent: true|false}, and for
urgent entries optionally `kind` (suicide, sexual_violence, exposure, violence, exploitation),
which adds urgent recall per kind to the report. `accept: [null]` means no topic page fits
(small talk, a figure of speech).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from bot.errors import SAFE_LOADER
from bot.matching import Matcher


@dataclass
class LanguageScore:
    questions: int = 0
    correct: int = 0
    urgent: int = 0
    urgent_found: int = 0
    not_urgent: int = 0
    false_urgent: int = 0

    @property
    def accuracy(self) -> float:
        return self.correct / self.questions if self.questions else 0.0

    @property
    def urgent_recall(self) -> float:
        return self.urgent_found / self.urgent if self.urgent else 1.0

    @property
    def false_urgent_rate(self) -> float:
        return self.false_urgent / self.not_urgent if self.not_urgent else 0.0


@dataclass
class Report:
    by_language: dict[str, LanguageScore] = field(default_factory=dict)
    misses: list[str] = field(default_factory=list)
    # Urgent questions per labelled kind: (how many, how many answered as urgent).
    by_kind: dict[str, list[int]] = field(default_factory=dict)

    @property
    def overall(self) -> LanguageScore:
        total = LanguageScore()
        for score in self.by_language.values():
            for name in vars(total):
                setattr(total, name, getattr(total, name) + getattr(score, name))
        return total

    def table(self) -> str:
        lines = ["lang  questions  top-1   urgent recall  false urgent"]
        rows = [*sorted(self.by_language.items()), ("all", self.overall)]
        for lang, s in rows:
            lines.append(
                f"{lang:<5} {s.questions:>9}  {s.accuracy:>6.1%}  {s.urgent_recall:>13.1%}"
                f"  {s.false_urgent_rate:>12.1%}"
            )
        if self.by_kind:
            lines.append(
                "urgent recall by kind: "
                + ", ".join(f"{k} {found}/{n}" for k, (n, found) in sorted(self.by_kind.items()))
            )
        return "\n".join(lines)


def load_questions(path: Path) -> list[dict[str, object]]:
    with path.open(encoding="utf-8") as handle:
        return list(yaml.load(handle, Loader=SAFE_LOADER))


def evaluate(matcher: Matcher, questions: list[dict[str, object]]) -> Report:
    scores: dict[str, LanguageScore] = defaultdict(LanguageScore)
    report = Report()
    for question in questions:
        lang, text = str(question["lang"]), str(question["text"])
        accept = list(question["accept"])  # type: ignore[call-overload]
        expected_urgent = bool(question["urgent"])
        found = matcher.match(text, lang)
        score = scores[lang]
        score.questions += 1
        score.correct += found.topic in accept
        if expected_urgent:
            score.urgent += 1
            score.urgent_found += found.urgent
            if kind := question.get("kind"):
                counts = report.by_kind.setdefault(str(kind), [0, 0])
                counts[0] += 1
                counts[1] += found.urgent
        else:
            score.not_urgent += 1
            score.false_urgent += found.urgent
        if found.topic not in accept or found.urgent != expected_urgent:
            report.misses.append(
                f"{lang}: {text!r} -> {found.topic} urgent={found.urgent} "
                f"(expected {accept} urgent={expected_urgent}; found {found.found})"
            )
    report.by_language = dict(scores)
    return report
