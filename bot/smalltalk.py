"""Small talk: greetings, thanks, "ok", "are you a robot?", insults, off-topic requests.

These are not questions, so they must never land on a health page ("merci" is not PrEP) nor on
"I did not understand". Each language's `content/<lang>/smalltalk.yaml` lists, per class, the
phrases that recognise it and the short answer the bot gives before the menu; staff may edit
both. Phrases are read like keywords (`bot.keywords.normalise`: accents, case and Cyrillic do
not matter) but must match whole words, because small-talk words are short ("ok", "hi").

A message is small talk when one of its phrases is found and the matcher found no topic, or when
small-talk phrases cover most of its words ("hello, thanks a lot!").
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from bot.errors import load_per_language
from bot.keywords import normalise, typed_words

SMALL_TALK_FILE = "smalltalk.yaml"
# Share of a message's words that small-talk phrases must cover when a topic was also found.
MOST_WORDS = 0.6

SmallTalkClass = Literal["greeting", "thanks", "ok", "goodbye", "robot", "insult", "off_topic"]


class SmallTalkEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    phrases: list[Annotated[str, Field(min_length=1)]] = Field(min_length=1)
    answer: Annotated[str, Field(min_length=1, max_length=400)]


class SmallTalkFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    greeting: SmallTalkEntry
    thanks: SmallTalkEntry
    ok: SmallTalkEntry
    goodbye: SmallTalkEntry
    robot: SmallTalkEntry
    insult: SmallTalkEntry
    off_topic: SmallTalkEntry


@dataclass(frozen=True)
class Recognised:
    kind: str
    # Share of the message's words that small-talk phrases explain, from 0 to 1.
    coverage: float


class SmallTalk:
    def __init__(self, files: dict[str, SmallTalkFile]) -> None:
        self._files = files
        # (class, phrase words, language), longest phrases first so they win over their parts.
        phrases = [
            (kind, tuple(normalise(text)), lang)
            for lang, entries in files.items()
            for kind in SmallTalkFile.model_fields
            for text in getattr(entries, kind).phrases
        ]
        self._phrases = sorted((p for p in phrases if p[1]), key=lambda p: -len(p[1]))
        # Each phrase's place in that order, by its first word: a message is compared only with
        # the phrases that start with one of its words, not with all of them at every word
        # (0.65 s for a 40,000-character message when it was).
        self._by_first_word: dict[str, list[int]] = {}
        for rank, (_kind, phrase, _lang) in enumerate(self._phrases):
            self._by_first_word.setdefault(phrase[0], []).append(rank)

    def recognise(self, text: str, lang: str) -> Recognised | None:
        words = typed_words(text)
        if not words:
            return None
        # (phrase rank, start): in the order of the phrases, then of the message, as if every
        # phrase had been looked for everywhere.
        found = sorted(
            (rank, start)
            for start, word in enumerate(words)
            for rank in self._by_first_word.get(word, ())
            if tuple(words[start : start + len(self._phrases[rank][1])]) == self._phrases[rank][1]
        )
        covered: set[int] = set()
        weight: dict[str, float] = {}
        for rank, start in found:
            kind, phrase, phrase_lang = self._phrases[rank]
            size = len(phrase)
            if phrase_lang != lang and size == 1 and len(phrase[0]) < 4:
                continue  # short words collide across languages (Spanish "con" is "with")
            span = set(range(start, start + size))
            if span & covered:
                continue
            covered |= span
            # The person's own language first: "ok" is small talk everywhere, but a word that
            # is a greeting in one language may be something else in another.
            weight[kind] = weight.get(kind, 0.0) + size * (1.0 if phrase_lang == lang else 0.8)
        if not weight:
            return None
        kind = max(weight, key=lambda k: (weight[k], -_PRIORITY.index(k)))
        return Recognised(kind, len(covered) / len(words))

    def answer(self, lang: str, kind: str) -> str:
        entry: SmallTalkEntry = getattr(self._files[lang], kind)
        return entry.answer


# When two classes weigh the same, the one that needs the more careful answer wins.
_PRIORITY = ["insult", "robot", "off_topic", "goodbye", "thanks", "greeting", "ok"]


def load_small_talk(content_dir: Path, languages: list[str]) -> SmallTalk:
    return SmallTalk(load_per_language(SmallTalkFile, content_dir, languages, SMALL_TALK_FILE))
