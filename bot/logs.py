"""Logging to stderr, one `event key=value` line each, with no identifiers and no message text.

Our own log calls never pass identifiers. Libraries can (python-telegram-bot logs request
parameters at DEBUG, httpx logs URLs that contain the bot token), so they are held at WARNING
whatever LOG_LEVEL says, and the formatter masks tokens and long numbers that might still slip into
a library's warning.
"""

from __future__ import annotations

import logging
import re
import sys

_TOKEN = re.compile(r"\b\d{5,}:[A-Za-z0-9_-]{20,}")
_LONG_NUMBER = re.compile(r"(?<![\w.])-?\d{6,}(?![\w.])")
# A Signal account's UUID, as signal-cli's error messages may quote it.
_UUID = re.compile(r"\b[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}\b")
CHATTY_LIBRARIES = ("telegram", "httpx", "httpcore", "aiohttp", "aiosqlite", "asyncio")


def redact(text: str) -> str:
    return _LONG_NUMBER.sub("<number>", _UUID.sub("<uuid>", _TOKEN.sub("<token>", text)))


class RedactingFormatter(logging.Formatter):
    """Redacts the whole formatted record, traceback included."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def setup_logging(level: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        RedactingFormatter("%(asctime)s %(levelname)s %(name)s %(message)s", "%Y-%m-%dT%H:%M:%S")
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in CHATTY_LIBRARIES:
        logging.getLogger(name).setLevel(max(logging.WARNING, root.level))
