"""What comes in from signal-cli before it means anything: lines read so that a bad one
costs that line only, and the kinds of message that are never passed on to the team."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Dropped:
    """A line over the reader's limit, read to its end and dropped. Its last bytes are kept
    for the id: signal-cli writes it last (jsonrpc/JsonRpcResponse.java: jsonrpc, result,
    error, id), so the request waiting for that answer fails now, not after a timeout."""

    tail: bytes


ANSWER_ID_AT_END = re.compile(rb'"id"\s*:\s*(\d{1,18})\s*}\s*$')


# Parts of a Signal data message that are never passed on (signal-cli JsonDataMessage.java):
# a shared contact card says who someone is; payments, polls and replies to stories are not for
# the team; a sticker would have to be fetched from the bot's own sticker store, and is not
# worth a second way of fetching files. Signal apps send a location as text with a map link.
IDENTIFYING_PARTS = ("contacts",)
OTHER_PARTS = ("sticker", "payment", "pollCreate", "pollVote", "pollTerminate", "storyContext")
MAP_LINK = re.compile(
    r"https?://(?:maps\.google\.[a-z.]+/maps\?q=|www\.google\.[a-z.]+/maps|maps\.app\.goo\.gl/|"
    r"goo\.gl/maps/|www\.openstreetmap\.org/|maps\.apple\.com/)",
    re.IGNORECASE,
)


def refused_kind(data: dict[str, Any], text: str) -> str | None:
    """'identifying' for a contact card or a location, 'other' for the rest of what is never
    passed on, None for text and files."""
    if any(data.get(part) for part in IDENTIFYING_PARTS) or MAP_LINK.search(text[:2000]):
        return "identifying"
    if any(data.get(part) for part in OTHER_PARTS):
        return "other"
    if data.get("viewOnce") is True and data.get("attachments"):
        # The person chose to let it be seen once; the team's copy would stay in the group.
        return "other"
    return None


async def next_line(reader: asyncio.StreamReader) -> bytes | Dropped | None:
    """The next line; Dropped for one over the reader's limit, read to its end so that no
    piece of it is ever taken for a message; None at the end of the stream."""
    try:
        return await reader.readuntil(b"\n")
    except asyncio.IncompleteReadError as exc:
        return exc.partial or None  # the last line, cut by the daemon going away
    except asyncio.LimitOverrunError as exc:
        overrun = exc.consumed
    tail = b""
    while True:
        # readuntil leaves an over-long line in the buffer: drop what is there, then look for
        # its end in what comes next.
        tail = (tail + await reader.readexactly(overrun))[-64:]
        try:
            return Dropped((tail + await reader.readuntil(b"\n"))[-64:])
        except asyncio.IncompleteReadError:
            return None
        except asyncio.LimitOverrunError as exc:
            overrun = exc.consumed
