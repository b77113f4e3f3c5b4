"""Shared by channels without buttons or HTML: the terminal and Signal.

Choices are numbered in the order the core counts them (a typed number or an option's label
chooses one), and commands work with or without their slash.
"""

from __future__ import annotations

import html
import re
from collections.abc import Collection

from bot.commands import command_key
from bot.conversation import Event, Person, Reply

_LINK = re.compile(r'<a href="([^"]*)">(.*?)</a>', re.DOTALL)
_TAG = re.compile(r"</?(b|i|a)(\s[^>]*)?>")
_STYLE_TAG = re.compile(r"<(/?)(b|i)>")


def html_to_plain(text: str) -> str:
    return styled(text)[0]


def styled(text: str) -> tuple[str, list[tuple[int, int, str]]]:
    """Plain text and its bold/italic ranges as (start, length, "BOLD"|"ITALIC"), counted in
    UTF-16 code units as Signal counts them."""

    def link(match: re.Match[str]) -> str:
        return f"{match.group(2)} ({html.unescape(match.group(1))})"

    text = _TAG.sub(lambda m: m.group(0) if m.group(1) in "bi" else "", _LINK.sub(link, text))
    plain: list[str] = []
    units = 0
    opened: dict[str, int] = {}
    ranges: list[tuple[int, int, str]] = []
    position = 0
    for match in _STYLE_TAG.finditer(text):
        chunk = html.unescape(text[position : match.start()])
        plain.append(chunk)
        units += len(chunk.encode("utf-16-le")) // 2
        closing, tag = match.group(1), match.group(2)
        style = "BOLD" if tag == "b" else "ITALIC"
        if not closing:
            opened[style] = units
        elif style in opened:
            start = opened.pop(style)
            if units > start:
                ranges.append((start, units - start, style))
        position = match.end()
    plain.append(html.unescape(text[position:]))
    return "".join(plain), ranges


def numbered(reply: Reply) -> str:
    """The reply as HTML-free of buttons: its choices numbered, links written out."""
    lines = [reply.text]
    choices = [option for row in reply.options for option in row]
    if choices:
        lines.append("")
        number = 0
        for option in choices:
            if option.action is not None:
                number += 1
                lines.append(f"  {number}. {html.escape(option.label)}")
            elif option.url is not None:
                lines.append(f"  – {html.escape(option.label)}: {html.escape(option.url)}")
    return "\n".join(lines)


def split_text(text: str, limit: int) -> list[str]:
    """Pieces of at most `limit` characters, cut between paragraphs, then lines, then words."""
    pieces: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        window = rest[: limit + 1]
        cut = max(window.rfind("\n\n"), 0) or max(window.rfind("\n"), 0) or window.rfind(" ")
        if cut <= limit // 4:
            cut = limit
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        pieces.append(rest)
    return pieces


def text_event(person: Person, text: str, commands: Collection[str], **extra: object) -> Event:
    """`/talk`, `talk` and `Talk` are the command; `/language nl` passes its argument.
    An alias works the same way (`aide`, `Rendez-vous`, `помощ`), but without its slash only as
    the whole message, so "aide pour la PrEP" stays a question.
    Anything else is text: a number, an option's label or a question."""
    stripped = text.strip()
    if stripped.startswith("/") and len(stripped) > 1:
        command, _sep, args = stripped[1:].partition(" ")
        return Event(person, command=command.lower(), args=args.strip(), **extra)  # type: ignore[arg-type]
    key = command_key(stripped) if len(stripped) <= 64 else ""  # a command is one word
    if key in commands:
        return Event(person, command=key, text=stripped, **extra)  # type: ignore[arg-type]
    return Event(person, text=stripped, **extra)  # type: ignore[arg-type]
