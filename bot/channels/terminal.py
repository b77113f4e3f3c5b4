"""The same conversation in a terminal: choices as numbers, one message per line.

In a terminal, lines are read with prompt_toolkit (line editing, and a history kept in
memory only: a history file would keep what someone typed about their health); Ctrl-D and
Ctrl-C leave at once. With stdin not a terminal, it reads one message per line and prints the
replies, so a session can be scripted: `printf '/start\\n1\\n' | python -m bot chat`.
"""

from __future__ import annotations

import asyncio
import getpass
from typing import TextIO

from prompt_toolkit import PromptSession
from prompt_toolkit.history import InMemoryHistory
from prompt_toolkit.patch_stdout import patch_stdout

from bot.channels.text import html_to_plain, numbered, text_event
from bot.conversation import Conversation, Event, Person, Reply
from bot.i18n import _, use_language

QUIT = {"/quit", "/exit"}


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
        self.stdout.flush()

    async def _greet(self) -> None:
        """--lang wins over the language of an earlier run, and the first lines say which
        language this is and how to change it: a terminal is often someone trying the bot
        for another language than their own."""
        if self.language:
            await self.conversation.handle(
                Event(self.person, command="language", args=self.language)
            )
        replies = await self.conversation.handle(Event(self.person, command="start"))
        lang = await self.conversation.language_for(self.person)
        info = self.conversation.content.languages.get(lang)
        with use_language(self.conversation.catalogs, lang):
            note = _("Language: {language}. To change it, send /language.").format(
                language=info.name if info else lang
            )
        self.stdout.write(note + "\n\n")
        self._show(replies)

    async def _answer(self, line: str) -> bool:
        """False once the person asked to leave."""
        if line.strip().lower() in QUIT:
            return False
        if line.strip():
            event = text_event(self.person, line, self.conversation.command_names)
            self._show(await self.conversation.handle(event))
        return True

    async def run(self) -> None:
        await self._greet()
        if self.stdin.isatty():
            await self._interactive()
            return
        while line := await asyncio.to_thread(self.stdin.readline):
            if not await self._answer(line):
                break

    async def _interactive(self) -> None:
        session: PromptSession[str] = PromptSession(history=InMemoryHistory())
        # Log lines printed while the prompt waits go above it, not into the typing.
        with patch_stdout():
            while True:
                try:
                    line = await session.prompt_async("> ")
                except (EOFError, KeyboardInterrupt):  # Ctrl-D, Ctrl-C: leave, at once
                    return
                if not await self._answer(line):
                    return
