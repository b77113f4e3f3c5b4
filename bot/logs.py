"""Logging to stderr, one `event key=value` line each, with no identifiers and no message text.

Our own log calls never pass identifiers. Libraries can (python-telegram-bot logs request
parameters at DEBUG, httpx logs URLs that contain the bot token), so they are held at WARNING
whatever LOG_LEVEL says, and a filter masks tokens and long numbers that might still slip into
a library's warning.
"""

from __future__ import annotations

import logging
import re
import sys

_TOKEN = re.compile(r"\b\d{5,}:[A-Za-z0-9_-]{20,}")
_LONG_NUMBER = re.compile(r"(?<![\w.])-?\d{6,}(?![\w.])")
CHATTY_LIBRARIES = ("telegram", "httpx", "httpcore", "aiosqlite", "apscheduler", "asyncio")


class RedactIdentifiers(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = _LONG_NUMBER.sub("<number>", _TOKEN.sub("<token>", message))
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def setup_logging(level: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s", "%Y-%m-%dT%H:%M:%S")
    )
    handler.addFilter(RedactIdentifiers())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in CHATTY_LIBRARIES:
        logging.getLogger(name).setLevel(max(logging.WARNING, root.level))
