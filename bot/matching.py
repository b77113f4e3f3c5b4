"""Free-text questions to topics, and urgent triage, from keyword lists staff can edit.

Explainable by design: every decision is a list of keyword phrases found in the question.
The keywords live in content/<lang>/keywords.yaml (read by bot/keywords.py): for each topic,
words and phrases in that language; for triage, the signals of suicidal thoughts, sexual
violence, a recent exposure, violence and exploitation, and the words for time.

How a question is read:
1. Capped (`bot.keywords.capped`: a long message is read by its beginning and its end) and
   normalised: transliterated to ASCII (accents dropped, Cyrillic to Latin, so "aseară",
   "aseara" and a Bulgarian typed in Latin letters all meet their keywords), lower case, split
   into words.
2. A keyword word matches a question word when they are equal, when the keyword (4 letters or
   more) is the start of the word ("proteg" matches "protegee"), or, from 5 letters, when they
   differ by a typo (rapidfuzz ratio >= 80).
3. A phrase matches when its words appear in order with at most two other words between them.
   A phrase of n words scores n: specific phrases outweigh single words.
4. Every language's keywords are tried, the person's own language at full weight and the
   others slightly less, so a Dutch user typing English is still understood.
"""

from __future__ import annotations

import bisect
import itertools
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from rapidfuzz import fuzz, process

from bot.keywords import Keywords, normalise, typed_words

if TYPE_CHECKING:
    from bot.smalltalk import SmallTalk

OTHER_LANGUAGE_WEIGHT = 0.8
MIN_SCORE = 1.0
# Below this score, a second topic scoring at least CLOSE_SECOND of the first makes the bot
# offer both (and a person) instead of one page.
CONFIDENT_SCORE = 2.0
CLOSE_SECOND = 0.75
MAX_GAP = 2
FUZZY_CUTOFF = 85
# Triage words match more strictly: by prefix only from 6 letters, typos only in long words.
STRICT_MIN_LETTERS = 6
STRICT_FUZZY_CUTOFF = 88
STRONG_WEIGHT = 2.0
# Short words collide across languages (Dutch "mes" is a knife, French "mes" is "my"): from
# another language than the person's, a one-word keyword counts only from this length.
OTHER_LANGUAGE_MIN_LETTERS = 5
URGENT_HOURS = 72
CONDOM_FAILURE_WINDOW = 6  # words between a condom word and a failure word
REFUSAL_WINDOW = 8  # words between "I said no" and "he went on"
WITHOUT_WINDOW = 3  # words from "without" to the condom or protection word after it


@dataclass(frozen=True, eq=False)  # each phrase is one object: hashed by identity, cheaply
class Phrase:
    words: tuple[str, ...]
    label: str  # topic id, or "triage:<signal>"
    lang: str
    text: str
    strong: bool = False
    word_set: frozenset[str] = frozenset()

    def weight(self, lang: str) -> float:
        if self.lang != lang:
            if len(self.words) == 1 and len(self.words[0]) < OTHER_LANGUAGE_MIN_LETTERS:
                return 0.0
            base = len(self.words) * OTHER_LANGUAGE_WEIGHT
        else:
            base = float(len(self.words))
        return base * (STRONG_WEIGHT if self.strong else 1.0)


@dataclass
class Match:
    topic: str | None
    urgent: bool
    score: float
    alternatives: list[str] = field(default_factory=list)
    # What made it urgent, the first to answer: "suicide", "sexual_violence", "exposure",
    # "violence", "exploitation".
    urgent_kind: str | None = None
    found: list[str] = field(default_factory=list)
    # Every urgent kind found, `urgent_kind` first ("he hit me and I want to die": both).
    urgent_kinds: list[str] = field(default_factory=list)
    # The second topic's score: close to the first, the bot asks rather than guesses.
    runner_up: float = 0.0

    @property
    def strong(self) -> bool:
        """A topic named by a strong keyword or phrase ("PrEP"): it wins over small talk."""
        return self.score >= CONFIDENT_SCORE

    @property
    def confident(self) -> bool:
        """Sure enough to show one topic's page: a strong score, or no close second."""
        return self.score >= CONFIDENT_SCORE or self.runner_up < self.score * CLOSE_SECOND

    def as_json(self) -> dict[str, object]:
        return {
            "topic": self.topic,
            "urgent": self.urgent,
            "score": round(self.score, 2),
            "alternatives": self.alternatives,
        }


class Matcher:
    def __init__(
        self,
        keywords: dict[str, Keywords],
        topic_order: list[str],
        urgent_topics: dict[str, str] | None = None,
    ) -> None:
        self.languages = list(keywords)
        self.topic_order = topic_order
        # The topic whose steps answer each urgent kind (content/topics.yaml, `urgent`): an
        # urgent question is always answered from it, whatever else scored higher.
        self.urgent_topics = urgent_topics or {}
        # Greetings, thanks, insults...: recognised apart from topics (bot/smalltalk.py).
        self.small_talk: SmallTalk | None = None
        self._phrases: list[Phrase] = []
        self._units: dict[str, set[str]] = defaultdict(set)
        self._units_by_language: dict[str, dict[str, set[str]]] = {}
        for lang, entry in keywords.items():
            for topic, texts in entry.topics.items():
                self._add(texts, topic, lang)
            triage = entry.triage
            for signal in (
                "exposure",
                "sexual_violence",
                "violence",
                "exploitation",
                "suicide",
                "long_ago",
                "distant",
                "ongoing",
                "ago",
                "general",
                "condom",
                "failure",
                "refusal",
                "persisted",
                "without",
                "protection",
                "recent",
                "hypothetical",
            ):
                self._add(getattr(triage, signal), f"triage:{signal}", lang)
            own: dict[str, set[str]] = defaultdict(set)
            for unit, words in triage.units.model_dump().items():
                for word in words:
                    own[unit].update(normalise(word))
                self._units[unit] |= own[unit]
            self._units_by_language[lang] = own
        self._by_word: dict[str, list[Phrase]] = defaultdict(list)
        for phrase in self._phrases:
            self._by_word[phrase.words[0]].append(phrase)
        self._vocabulary = frozenset(w for p in self._phrases for w in p.words)
        by_language: dict[str, set[str]] = defaultdict(set)
        for phrase in self._phrases:
            by_language[phrase.lang].update(phrase.words)
        self._vocabulary_by_language = {k: frozenset(v) for k, v in by_language.items()}
        # Typos rarely touch the first letter: fuzzy matching compares a word only with
        # keyword words that share it, a few hundred at most.
        self._by_initial: dict[str, list[str]] = defaultdict(list)
        for word in sorted(self._vocabulary):
            if len(word) >= 5:
                self._by_initial[word[0]].append(word)
        self._longest = max(map(len, self._vocabulary), default=0)
        self._word_cache: dict[str, tuple[frozenset[str], ...]] = {}

    def _add(self, texts: list[str], label: str, lang: str) -> None:
        for text in texts:
            strong = text.startswith("!")
            words = tuple(normalise(text))
            if words:
                self._phrases.append(
                    Phrase(words, label, lang, text.lstrip("!"), strong, frozenset(words))
                )

    def units_of(self, lang: str) -> dict[str, set[str]]:
        """The words for hours, days, weeks... in one language, normalised."""
        return self._units_by_language[lang]

    # --- word level ----------------------------------------------------------------------------
    def _keyword_words_for(self, word: str) -> tuple[frozenset[str], ...]:
        """The keyword words this question word counts as: loosely (for topics), strictly
        (for triage, where a false alarm costs more: "viol" must not match "violence"), and
        whole words only, no typo and no word cut short (for another language's triage:
        Portuguese "matar", "to kill", is not Spanish "matarme", "kill myself", cut short;
        Romanian "violenta" is not Portuguese "violentada")."""
        cached = self._word_cache.get(word)
        if cached is not None:
            return cached
        exact = {word} if word in self._vocabulary else set()
        # Up to the longest keyword word only: a 1,500-letter "aaaa…" is not 1,500 prefixes.
        longest = min(len(word), self._longest + 1)
        prefixes = {word[:n] for n in range(4, longest) if word[:n] in self._vocabulary}
        near = self._by_initial.get(word[0], []) if word else []
        # A word cut short ("brok" for "broke"): at most two letters missing. `near` is sorted,
        # so the words starting with this one are together, found by bisection rather than by
        # reading the few hundred words of its initial (a third of a cold question's time).
        cut_short: set[str] = set()
        if len(word) >= 4:
            for candidate in itertools.islice(near, bisect.bisect_left(near, word), None):
                if not candidate.startswith(word):
                    break
                if len(candidate) - len(word) <= 2:
                    cut_short.add(candidate)
        typos = (
            {
                candidate: score
                for candidate, score, _index in process.extract(
                    word, near, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF, limit=None
                )
            }
            if len(word) >= 5
            else {}
        )
        loose = frozenset(exact | prefixes | cut_short | set(typos))
        # Keyword words this word only resembles (not equal, not a prefix or a word cut short).
        strict_typos = (
            frozenset(
                c
                for c, score in typos.items()
                if len(word) >= STRICT_MIN_LETTERS and score >= STRICT_FUZZY_CUTOFF
            )
            - exact
            - prefixes
            - cut_short
        )
        whole = frozenset(exact | {p for p in prefixes if len(p) >= STRICT_MIN_LETTERS})
        strict = (
            whole | {c for c in cut_short if len(word) >= STRICT_MIN_LETTERS - 1} | strict_typos
        )
        result = (loose, strict, whole, strict_typos)
        # Bounded, and without words longer than any keyword's: people can type anything.
        if len(self._word_cache) < 50_000 and len(word) <= self._longest:
            self._word_cache[word] = result
        return result

    # --- phrase level --------------------------------------------------------------------------
    def _phrases_found(
        self, words: list[str], lang: str, labels: Collection[str] | None = None
    ) -> list[tuple[Phrase, int]]:
        """Phrases present in the question (of these `labels` only, when given), each with
        the position where it ends."""
        levels = [self._keyword_words_for(w) for w in words]
        loose = [level[0] for level in levels]
        # A word of the person's own keywords, spelled right, is not a typo of another one:
        # French "prendre" (un rendez-vous) is not "pendre"; English "passport" in a French
        # message may still be a typo of "passeport".
        own = self._vocabulary_by_language.get(lang, frozenset())
        strict = [
            level[1] - level[3] if word in own else level[1]
            for word, level in zip(words, levels, strict=True)
        ]
        whole = [level[2] for level in levels]
        # Where each keyword word stands in the question, at each level: a phrase is then
        # looked for only where its words are, not at every word of a long message.
        where = {
            "loose": _positions(loose),
            "strict": _positions(strict),
            "whole": _positions(whole),
        }
        candidates = {p for options in loose for k in options for p in self._by_word.get(k, [])}
        # Most candidates start with a common word ("me", "je", "i") and miss another one: a
        # set test drops them before the ordered search (a third of the time per question).
        present = frozenset().union(*loose)
        found = []
        for phrase in candidates:
            if not phrase.word_set <= present:
                continue
            if labels is not None and phrase.label not in labels:
                continue
            # Pair words (a condom word, a failure word) only count next to each other, so
            # they can match as loosely as topic words.
            careful = phrase.label.startswith("triage:") and phrase.label not in PAIR_SIGNALS
            level = ("strict" if phrase.lang == lang else "whole") if careful else "loose"
            end = _end_in_order(phrase.words, where[level])
            if end is not None:
                found.append((phrase, end))
        return found

    # --- decision ------------------------------------------------------------------------------
    def match(self, text: str, lang: str) -> Match:
        words = typed_words(text)
        found = self._phrases_found(words, lang)
        # The same words of the question may meet a keyword in several languages ("test":
        # "testen", "tester", "testul"): count them once per topic, at the weight of the
        # phrase that suits best.
        strongest: dict[tuple[str, int, int], tuple[float, Phrase]] = {}
        positions: dict[str, list[int]] = defaultdict(list)
        for phrase, end in found:
            if phrase.label in PAIR_SIGNALS:
                if phrase.weight(lang) > 0:
                    positions[phrase.label].append(end)
                continue
            if phrase.label in CANCELLING_SIGNALS and phrase.lang != lang:
                continue  # French "legal" must not silence a Spanish disclosure
            weight = phrase.weight(lang)
            key = (phrase.label, end, len(phrase.words))
            if weight > 0 and weight > strongest.get(key, (0.0, phrase))[0]:
                strongest[key] = (weight, phrase)
        scores: dict[str, float] = defaultdict(float)
        signals: dict[str, float] = defaultdict(float)
        explained = []
        for (label, _end, _size), (weight, phrase) in strongest.items():
            if label.startswith("triage:"):
                signals[label[7:]] = max(signals[label[7:]], weight)
            else:
                scores[label] += weight
            explained.append(f"{label}:{phrase.text}")

        if _near(positions["triage:refusal"], positions["triage:persisted"], REFUSAL_WINDOW):
            signals["sexual_violence"] = max(signals["sexual_violence"], 2.0)
            explained.append("triage:sexual_violence:refusal+persisted")
        if _near(positions["triage:condom"], positions["triage:failure"], CONDOM_FAILURE_WINDOW):
            signals["exposure"] = max(signals["exposure"], 2.0)
            explained.append("triage:exposure:condom+failure")
        protected = positions["triage:condom"] + positions["triage:protection"]
        if any(0 < p - w <= WITHOUT_WINDOW for w in positions["triage:without"] for p in protected):
            signals["exposure"] = max(signals["exposure"], 2.0)
            explained.append("triage:exposure:without+protection")

        urgent_kinds = self._urgent_kinds(signals, words, positions)
        urgent_kind = urgent_kinds[0] if urgent_kinds else None
        if "suicide" in urgent_kinds or (signals.get("suicide") and not urgent_kind):
            scores["mental_health"] += 2 + signals["suicide"]
        if urgent_kind == "exposure":
            scores["pep"] += 2 + signals["exposure"]
        elif urgent_kind in {"sexual_violence", "violence", "exploitation"}:
            scores["violence"] += 2 + signals[urgent_kind]
            if urgent_kind == "sexual_violence":
                scores["pep"] += 1 + signals[urgent_kind]
        elif urgent_kind is None:
            if signals.get("exposure") and not signals.get("hypothetical"):
                # An exposure too long ago for PEP: a test is what helps now.
                scores["testing"] += 1 + signals["exposure"]
                scores["pep"] += 0.5
            for kind in ("sexual_violence", "violence", "exploitation"):
                if signals.get(kind):
                    # Violence long ago, or a question about it: the violence page still
                    # answers it (complaints, support), without the urgent steps.
                    scores["violence"] += 1 + signals[kind]
                    break

        ranked = sorted(
            (item for item in scores.items() if item[1] > 0),
            key=lambda item: (-item[1], self._order(item[0])),
        )
        if urgent_kind in self.urgent_topics:
            first = self.urgent_topics[urgent_kind]
            ranked = [(first, max(scores[first], MIN_SCORE))] + [
                item for item in ranked if item[0] != first
            ]
        if not ranked or ranked[0][1] < MIN_SCORE:
            return Match(
                None,
                urgent_kind is not None,
                ranked[0][1] if ranked else 0.0,
                [t for t, _ in ranked[:3]],
                urgent_kind,
                sorted(explained),
                urgent_kinds,
            )
        best, score = ranked[0]
        alternatives = [t for t, s in ranked[1:4] if s >= MIN_SCORE * 0.5]
        return Match(
            best,
            urgent_kind is not None,
            score,
            alternatives,
            urgent_kind,
            sorted(explained),
            urgent_kinds,
            ranked[1][1] if len(ranked) > 1 else 0.0,
        )

    def _order(self, topic: str) -> int:
        return self.topic_order.index(topic) if topic in self.topic_order else len(self.topic_order)

    def age_in_hours(self, text: str, lang: str) -> float | None:
        """How long ago `text` places an event ("hier", "2 weeks ago"), or None when it says
        no time: the booking's "when was your last risk?" understands a typed answer."""
        words = typed_words(text)
        signals: dict[str, float] = defaultdict(float)
        positions: dict[str, list[int]] = defaultdict(list)
        for phrase, end in self._phrases_found(words, lang, PAIR_SIGNALS | TIME_SIGNALS):
            if phrase.lang != lang and len(phrase.words) == 1:
                continue
            if phrase.label in PAIR_SIGNALS:
                positions[phrase.label].append(end)
            elif phrase.label in TIME_SIGNALS:
                signals[phrase.label[7:]] = 1.0
        numbered = any(
            number.isdecimal() and any(unit in units for units in self._units.values())
            for number, unit in itertools.pairwise(words)
        )
        if not signals and not numbered:
            return None
        return self._age_in_hours(signals, words, positions, said_ago=False)

    def _urgent_kinds(
        self, signals: dict[str, float], words: list[str], positions: dict[str, list[int]]
    ) -> list[str]:
        """The urgent kinds this question discloses, the one to answer first in front.

        A safety net rather than a classifier: a violence, sexual-violence or exploitation
        signal is urgent when the time is recent or not said; only a time beyond a month (or
        a question about the law or someone else, without a recent time) makes it a question.
        """
        recent = bool(signals.get("recent"))
        general = bool(signals.get("general")) and not recent
        hours = self._age_in_hours(signals, words, positions)
        event_hours = self._age_in_hours(signals, words, positions, said_ago=True)
        kinds = []
        # Suicidal thoughts are urgent even beside "a friend" or "if": "I talked with a friend
        # and I want to die" must not be silenced, and the lines help a worried friend too.
        if signals.get("suicide"):
            kinds.append("suicide")
        if signals.get("sexual_violence") and not general and event_hours <= VIOLENCE_HOURS:
            kinds.append("sexual_violence")
        just_a_question = signals.get("hypothetical") and not recent
        if signals.get("exposure") and not just_a_question and hours <= URGENT_HOURS:
            kinds.append("exposure")
        if signals.get("violence") and not general and event_hours <= VIOLENCE_HOURS:
            kinds.append("violence")
        # Exploitation is a state, not an event: a passport taken two years ago is still taken.
        if signals.get("exploitation") and not general:
            kinds.append("exploitation")
        return kinds

    def _age_in_hours(
        self,
        signals: dict[str, float],
        words: list[str],
        positions: dict[str, list[int]],
        said_ago: bool = False,
    ) -> float:
        """How long ago the event was, as far as the question says: 0 when it does not say.

        With `said_ago`, a number counts only next to a word for "ago" ("il y a 2 ans",
        "2 years ago"): "I am 50 years old and he hits me" is not an event 50 years ago.
        """
        if signals.get("recent"):
            return 0.0
        if signals.get("distant"):
            return float("inf")
        for index, (number, unit) in enumerate(itertools.pairwise(words)):
            if not number.isdecimal():
                continue
            if any(0 <= index - p <= 3 for p in positions["triage:ongoing"]):
                continue  # "for 2 years", "depuis 2 ans": a duration up to now, not an age
            ago = positions["triage:ago"]
            if said_ago and not any(-3 <= p - index <= 2 for p in ago):
                continue
            for name, hours in UNIT_HOURS.items():
                if unit not in self._units[name]:
                    continue
                if name == "year" and not any(-3 <= p - index <= 2 for p in ago):
                    break  # "22 anos", "j'ai 30 ans": an age, not when it happened
                # A number longer than any age is a very long time (and int() refuses
                # numbers of more than 4,300 digits).
                return (int(number) if len(number) <= 9 else 10**9) * hours
        if signals.get("long_ago"):
            return URGENT_HOURS + 1
        return 0.0


UNIT_HOURS = {"hour": 1, "day": 24, "week": 24 * 7, "month": 24 * 30, "year": 24 * 365}
# Violence, sexual violence: urgent up to a month (a CPVS takes assaults up to a month old).
VIOLENCE_HOURS = 24 * 31
# Words that say when something happened.
TIME_SIGNALS = {"triage:recent", "triage:long_ago", "triage:distant"}

# Words that make an urgent signal a question: only the person's own language's count, because
# a missed disclosure costs more than a false alarm, and short words collide across languages.
CANCELLING_SIGNALS = {"triage:hypothetical", "triage:general"}

PAIR_SIGNALS = {
    "triage:condom",
    "triage:failure",
    "triage:without",
    "triage:protection",
    "triage:ongoing",
    "triage:ago",
    "triage:refusal",
    "triage:persisted",
}


def _near(first: list[int], second: list[int], window: int) -> bool:
    return any(abs(a - b) <= window for a in first for b in second)


def _positions(levels: list[frozenset[str]]) -> dict[str, list[int]]:
    """Keyword word -> the positions (in order) of the question words that count as it."""
    where: dict[str, list[int]] = defaultdict(list)
    for position, options in enumerate(levels):
        for word in options:
            where[word].append(position)
    return where


def _end_in_order(phrase: tuple[str, ...], where: dict[str, list[int]]) -> int | None:
    """Where the phrase's last word is, if its words appear in order with small gaps: from
    the first place its first word is, each next word at most MAX_GAP words further."""
    for start in where.get(phrase[0], ()):
        position = start
        for word in phrase[1:]:
            places = where.get(word, ())
            index = bisect.bisect_right(places, position)
            if index == len(places) or places[index] > position + 1 + MAX_GAP:
                break
            position = places[index]
        else:
            return position
    return None
