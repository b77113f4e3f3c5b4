"""Options as Telegram buttons, and pressed buttons back as actions."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.conversation import Option
from bot.store import Keys

CALLBACK_DATA_LIMIT = 64  # bytes, Bot API InlineKeyboardButton.callback_data
KEYBOARD_CACHE_SIZE = 2048


class ButtonCodec:
    """Options become buttons whose callback data is `action|signature`, and a pressed
    button's data becomes its action again: a forged or foreign button fails the signature."""

    def __init__(self, keys: Keys) -> None:
        self._keys = keys
        self._keyboards: dict[tuple[tuple[Option, ...], ...], InlineKeyboardMarkup] = {}

    def encode(self, action: str) -> str:
        data = f"{action}|{self._keys.button_tag(action)}"
        if len(data.encode()) > CALLBACK_DATA_LIMIT:
            raise ValueError(f"action {action!r} does not fit in Telegram's callback data")
        return data

    def decode(self, data: str | None) -> str | None:
        if not data:
            return None
        action, sep, tag = data.rpartition("|")
        if not sep or tag != self._keys.button_tag(action):
            return None
        return action

    def keyboard(self, rows: list[list[Option]]) -> InlineKeyboardMarkup | None:
        if not rows:
            return None
        # Most keyboards (the menu, a topic's choices) are the same for everyone who reads that
        # language: built and signed once, then shared (python-telegram-bot's objects are
        # immutable). Under load, building them was a measurable part of each answer.
        key = tuple(tuple(row) for row in rows if row)
        markup = self._keyboards.get(key)
        if markup is None:
            markup = InlineKeyboardMarkup(
                [
                    [
                        InlineKeyboardButton(option.label, url=option.url)
                        if option.url
                        else InlineKeyboardButton(
                            option.label,
                            callback_data=self.encode(option.action or "menu"),
                        )
                        for option in row
                    ]
                    for row in key
                ]
            )
            if len(self._keyboards) >= KEYBOARD_CACHE_SIZE:
                self._keyboards.pop(next(iter(self._keyboards)))  # the oldest
            self._keyboards[key] = markup
        return markup
