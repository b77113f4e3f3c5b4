"""The same conversation in a terminal: choices as numbers, one message per line.

With stdin not a terminal, it reads one message per line and prints the replies, so a session
can be scripted: `printf '/start\n1\n' | python -m bot chat`.
"""

from __future__ import annotations

import asyncio
import getpass
from typing import TextIO

from bot.channels.text import numbered
from bot.conversation import Conversation, Event, Person, Reply


def parse_input(person: Person, line: str) -> Event:
    text = line.strip()
    if text.startswith("/") and len(text) > 1:
        command, _sep, args = text[1:].partition(" ")
        return Event(person, command=command.lower(), args=args.strip())
    return Event(person, text=text)


class TerminalChannel:
    def __init__(
        self,
        conversation: Conversation,
        stdin: TextIO,
        stdout: TextIO,
        language: str | None = None,
    ) -> None:
        self.conversation = conversation
        self.stdin = stdin
        self.stdout = stdout
        self.language = language
        # One local person per operating-system user; pseudonymised like everyone else.
        self.person = Person("terminal", platform_id=getpass.getuser(), address="terminal")

    def _show(self, replies: list[Reply]) -> None:
        for reply in replies:
            self.stdout.write(numbered(reply) + "\n\n")
        if self.stdin.isatty():
            self.stdout.write("> ")
        self.stdout.flush()

    async def run(self) -> None:
        if self.language:
            await self.conversation.handle(
                Event(self.person, command="language", args=self.language)
            )
        self._show(await self.conversation.handle(Event(self.person, command="start")))
        while True:
            line = await asyncio.to_thread(self.stdin.readline)
            if not line:
                break
            if not line.strip():
                continue
            if line.strip().lower() in {"/quit", "/exit"}:
                break
            self._show(await self.conversation.handle(parse_input(self.person, line)))
