"""What both sides of the Telegram bot share: reading errors and commands, sending options."""

from __future__ import annotations

from datetime import timedelta

from telegram import LinkPreviewOptions
from telegram.error import BadRequest, NetworkError, RetryAfter, TelegramError, TimedOut

from bot.relay import RetryLater, Undeliverable

NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


def relay_error(exc: TelegramError) -> RetryLater | Undeliverable:
    """What the relay should do after a Telegram error: wait (flood control, 5xx, network)
    or give the item up (a message or chat that no longer exists)."""
    if isinstance(exc, RetryAfter):
        wait = exc.retry_after
        return RetryLater(wait.total_seconds() if isinstance(wait, timedelta) else float(wait))
    if isinstance(exc, BadRequest):
        return Undeliverable(type(exc).__name__)
    if isinstance(exc, (TimedOut, NetworkError)):
        return RetryLater(5)
    return Undeliverable(type(exc).__name__)


def parse_command(text: str) -> tuple[str, str] | None:
    """`/Language@ParapluieBot nl` -> ("language", "nl")."""
    if not text.startswith("/") or len(text) < 2:
        return None
    head, _sep, args = text[1:].partition(" ")
    return head.split("@", 1)[0].lower(), args.strip()
