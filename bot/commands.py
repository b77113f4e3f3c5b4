"""Command aliases: the words people guess for a command ("/aide", "/rdv", "/hulp", "помощ").

`content/<lang>/commands.yaml` maps a built-in command (bot/app.py) to the words people of that
language type for it. Every alias works for everyone, whatever their language, because people
mix languages. On Telegram an alias is a command like any other (`/aide`); on Signal and the
terminal it also works without its slash, but only as the whole message ("aide"), so a typed
question that starts with the word is still read as a question.

`python -m bot content check` refuses an alias that is a built-in command itself, the same
alias for two commands (in one language or across languages), an alias for an unknown command,
and a name Telegram would not accept as a command.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from pathlib import Path

from pydantic import RootModel, field_validator

from bot.keywords import normalise

COMMANDS_FILE = "commands.yaml"
# Telegram's rule for command names (Bot API, BotCommand): 1-32 characters among lowercase
# Latin letters, digits and underscores. Aliases follow it so that they work there too.
COMMAND_NAME = re.compile(r"[a-z0-9_]{1,32}")


class CommandAliases(RootModel[dict[str, list[str]]]):
    """One language's aliases: built-in command -> the words people type for it."""

    @field_validator("root")
    @classmethod
    def _telegram_names(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        for command, aliases in value.items():
            for alias in aliases:
                if not COMMAND_NAME.fullmatch(alias):
                    raise ValueError(
                        f"{command}: {alias!r} cannot be a command: use 1 to 32 lowercase "
                        "Latin letters, digits or _ (Telegram's rule; Cyrillic is read too: "
                        "'помощ' typed on Signal finds the alias 'pomosht')"
                    )
                if alias.isdigit():
                    raise ValueError(
                        f"{command}: {alias!r} cannot be a command: on Signal and the terminal "
                        "a number chooses among the options shown"
                    )
        return value

    def of(self, command: str) -> list[str]:
        return self.root.get(command, [])


def command_key(word: str) -> str:
    """How a typed command word is looked up: "Rendez-vous" -> "rendez_vous", "Помощ" ->
    "pomosht" (the same transliteration as questions, so Cyrillic finds the Latin alias)."""
    return "_".join(normalise(word))


def alias_table(aliases: Mapping[str, CommandAliases]) -> dict[str, str]:
    """alias -> built-in command, over every language."""
    return {
        alias: command
        for by_lang in aliases.values()
        for command, words in by_lang.root.items()
        for alias in words
    }


def alias_problems(
    aliases: Mapping[str, CommandAliases], builtins: Collection[str], content_dir: Path
) -> list[str]:
    """Clashes that would make a word mean two things, or nothing."""
    problems: list[str] = []
    seen: dict[str, tuple[str, str]] = {}  # alias -> (command, language where first seen)
    for lang, by_lang in aliases.items():
        path = content_dir / lang / COMMANDS_FILE
        for command, words in by_lang.root.items():
            if command not in builtins:
                problems.append(
                    f"{path}: {command}: unknown command (known: {', '.join(sorted(builtins))})"
                )
            for alias in words:
                if alias in builtins:
                    problems.append(f"{path}: {command}: {alias!r} is already a command")
                    continue
                first = seen.setdefault(alias, (command, lang))
                if first[0] != command:
                    problems.append(
                        f"{path}: {command}: {alias!r} is already an alias of "
                        f"{first[0]!r} in {content_dir / first[1] / COMMANDS_FILE}"
                    )
    return problems
