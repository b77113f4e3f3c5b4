"""Interface strings through gettext catalogs, with the language carried per conversation.

The current language lives in a ContextVar: each update is handled in its own asyncio task,
which gets its own copy of the context, so two people writing at once never see each other's
language. Catalogs are compiled from the .po files in memory at start-up, so there is no
compiled file that can go stale.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

from bot.resources import LOCALES_DIR

DOMAIN = "messages"

_current: ContextVar[tuple[str, NullTranslations]] = ContextVar(
    "current_language", default=("en", NullTranslations())
)


class Catalogs:
    """Compiled interface strings for every language, loaded once."""

    def __init__(self, languages: list[str], locales_dir: Path = LOCALES_DIR) -> None:
        self._translations: dict[str, NullTranslations] = {}
        for lang in languages:
            po_path = locales_dir / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
            if lang == "en" and not po_path.exists():
                # English is the source language of msgids.
                self._translations[lang] = NullTranslations()
                continue
            with po_path.open("rb") as handle:
                catalog = read_po(handle, locale=lang)
            compiled = io.BytesIO()
            write_mo(compiled, catalog)
            compiled.seek(0)
            self._translations[lang] = Translations(fp=compiled, domain=DOMAIN)

    @property
    def languages(self) -> list[str]:
        return list(self._translations)

    def get(self, lang: str) -> NullTranslations:
        return self._translations[lang]


@contextmanager
def use_language(catalogs: Catalogs, lang: str) -> Iterator[None]:
    token = _current.set((lang, catalogs.get(lang)))
    try:
        yield
    finally:
        _current.reset(token)


def switch_language(catalogs: Catalogs, lang: str) -> None:
    """Change the language for the rest of the current `use_language` block."""
    _current.set((lang, catalogs.get(lang)))


def current_language() -> str:
    return _current.get()[0]


def _(message: str) -> str:
    """Translate an interface string into the language of the conversation being handled."""
    return _current.get()[1].gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return _current.get()[1].ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Mark a string for extraction; translate it later with _() where the language is known."""
    return message
