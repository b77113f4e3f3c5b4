"""Shared by channels without buttons or HTML (the terminal now, Signal later)."""

from __future__ import annotations

import html
import re

from bot.conversation import Reply

_LINK = re.compile(r'<a href="([^"]*)">(.*?)</a>', re.DOTALL)
_TAG = re.compile(r"</?(b|i|a)(\s[^>]*)?>")


def html_to_plain(text: str) -> str:
    def link(match: re.Match[str]) -> str:
        url, label = html.unescape(match.group(1)), match.group(2)
        return f"{label} ({url})"

    return html.unescape(_TAG.sub("", _LINK.sub(link, text)))


def numbered(reply: Reply) -> str:
    """The reply as plain text, its choices numbered in the order the core counts them."""
    lines = [html_to_plain(reply.text)]
    choices = [option for row in reply.options for option in row]
    if choices:
        lines.append("")
        number = 0
        for option in choices:
            if option.action is not None:
                number += 1
                lines.append(f"  {number}. {option.label}")
            elif option.url is not None:
                lines.append(f"  – {option.label}: {option.url}")
    return "\n".join(lines)
