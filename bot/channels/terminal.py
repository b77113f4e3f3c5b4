"""The same conversation in a terminal: choices as numbers, one message per line.

With stdin not a terminal, it reads one message per line and prints the replies, so a session
can be scripted: `printf '/start\n1\n' | python -m bot chat`.
"""

from __future__ import annotations

import asyncio
import getpass
from typing import TextIO

from bot.channels.text import html_to_plain, numbered, text_event
from bot.conversation import Conversation, Event, Person, Reply


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
            self.stdout.write(html_to_plain(numbered(reply)) + "\n\n")
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
            event = text_event(self.person, line, self.conversation.command_names)
            self._show(await self.conversation.handle(event))
