"""The channel-independent conversation core.

A channel adapter turns what a person did (a message, a button) into an `Event`; the core loads
that person's profile from the store, routes the event to a handler, saves the new state and
returns `Reply` objects, which the adapter turns back into its platform's messages. Handlers
never see a platform type, and conversation state lives in the database, so a restart between
two messages changes nothing for the person.
"""

from __future__ import annotations

import html
import logging
import re
import time
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.commands import alias_table, command_key
from bot.config import Config
from bot.content import Content
from bot.i18n import Catalogs, _, switch_language, use_language
from bot.locks import PersonLocks
from bot.matching import Matcher
from bot.outbound import EXITED, Outbound
from bot.settings import Settings
from bot.store import Keys, Profile, Store
from bot.store.tickets import StaffNotice

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]


@dataclass(frozen=True)
class Person:
    """Who wrote. `platform_id` and `address` are only ever pseudonymised or sealed."""

    channel: str
    platform_id: str
    address: str
    language_hint: str | None = None

    def __repr__(self) -> str:  # keeps identifiers out of tracebacks and debug output
        return f"Person(channel={self.channel!r})"


@dataclass(frozen=True)
class Attachment:
    """A file the person's platform keeps for us (a Signal attachment): fetched only when
    it is relayed to the team, never stored by the bot."""

    channel: str
    ref: str
    content_type: str
    filename: str | None = None

    def as_payload(self) -> dict[str, str | None]:
        return {
            "channel": self.channel,
            "ref": self.ref,
            "content_type": self.content_type,
            "filename": self.filename,
        }


@dataclass(frozen=True)
class Event:
    person: Person
    text: str | None = None
    action: str | None = None
    # A command typed without its slash (Signal, the terminal) keeps the words as typed in
    # `text` too: they are relayed as typed if it turns out not to be a command.
    command: str | None = None
    args: str = ""
    # The platform's reference to the message (Telegram: its message id; Signal: its
    # timestamp): a message relayed twice is recognised, and an edit finds its copy.
    message_ref: str | None = None
    # The staff chat can copy this message straight from the person's chat (same platform),
    # so neither its text nor its files pass through the bot's outbox.
    copyable: bool = False
    attachments: tuple[Attachment, ...] = ()
    # A button whose data the bot did not issue: forged, or from an older version.
    unknown_button: bool = False
    # A kind of message that is never relayed nor kept: "identifying" (a contact card, a
    # location) or "other" (a poll, a game...).
    refused: str | None = None

    def __repr__(self) -> str:
        kind = self.command or self.action or ("text" if self.text else "unknown_button")
        return f"Event(channel={self.person.channel!r}, kind={kind!r})"


@dataclass(frozen=True)
class Option:
    label: str
    action: str | None = None
    url: str | None = None


@dataclass
class Reply:
    """One message. `text` is HTML limited to <b>, <i> and <a href>; dynamic values escaped."""

    text: str
    options: list[list[Option]] = field(default_factory=list)
    # Show in place of the message whose button was pressed, where the channel can.
    replace: bool = False
    # A short toast for the button press (Telegram's answerCallbackQuery), if any.
    notice: str | None = None
    # Quick exit: the channel first deletes what it still can of the chat, then shows this.
    clear_chat: bool = False
    # False for the last word to someone just forgotten: the channel keeps no trace of it.
    tracked: bool = True
    # A hint about the choices shown before ("send a number from 1 to 6"): a typed number
    # still refers to those, not to this message's options.
    keeps_choices: bool = False


class StaleAction(Exception):
    """A well-formed action that no longer makes sense (a topic removed, a page gone)."""


@dataclass
class Turn:
    """Everything a handler may use while answering one event."""

    event: Event
    profile: Profile
    config: Config
    content: Content
    catalogs: Catalogs
    matcher: Matcher
    now: datetime
    store: Store
    # Pseudonymous notices for the staff chat, sent once the person's state is saved.
    staff_notices: list[str | StaffNotice] = field(default_factory=list)
    # Set by /forget: the person's profile must not be written back after this turn.
    forgotten: bool = False
    # Built-in command -> its description, marked with N_() (for /help).
    commands: Mapping[str, str] = field(default_factory=dict)
    # Whether a staff group takes conversations (none in the terminal, nor without one set).
    team_reachable: bool = True

    @property
    def lang(self) -> str:
        return self.profile.language

    @property
    def zone(self) -> ZoneInfo:
        return self.config.zone

    def switch_language(self, lang: str) -> None:
        """Change the person's language; strings produced after this call use it."""
        self.profile.language = lang
        switch_language(self.catalogs, lang)


# What Telegram puts after /start from a link (t.me/bot?start=...): never a sentence.
DEEP_LINK_PAYLOAD = re.compile(r"[A-Za-z0-9_-]{1,64}")

Handler = Callable[[Turn, list[str]], Awaitable[list[Reply]]]
FallbackHandler = Callable[[Turn], Awaitable[list[Reply]]]
# Returns None to leave the text to the general handler (a question asked mid-flow).
FlowTextHandler = Callable[[Turn], Awaitable[list[Reply] | None]]


def has_buttons(person: Person) -> bool:
    """Telegram shows buttons; Signal and the terminal show numbered choices instead."""
    return person.channel == "telegram"


def choices_hint(person: Person, count: int) -> str:
    """What to send when a typed number or word chose nothing among the choices shown."""
    if has_buttons(person):
        return _("Please choose one of the buttons, or send 0 for the menu.")
    return _("Send a number from 1 to {count}, or 0 for the menu.").format(count=count)


def escape(value: object) -> str:
    """Escape any value that goes into a reply's HTML."""
    return html.escape(str(value), quote=True)


_BOLD = re.compile(r"\*\*(.+?)\*\*", re.DOTALL)


def render_markup(text: str) -> str:
    """Content files use plain text with **bold**; everything else is escaped."""
    return _BOLD.sub(r"<b>\1</b>", escape(text.strip()))


def upper_first(text: str) -> str:
    """'lundi 24 novembre' -> 'Lundi 24 novembre' (str.capitalize would lower the rest)."""
    return text[:1].upper() + text[1:]


def guess_language(hint: str | None, supported: Sequence[str], default: str) -> str:
    if hint:
        base = hint.lower().replace("_", "-").split("-")[0]
        if base in supported:
            return base
    return default


def choice_word(label: str) -> str:
    """'🧪 Testing' -> 'testing': how someone would type an option's label."""
    return " ".join(re.sub(r"[^\w\s]", " ", label.casefold()).split())


def remember_offered(profile: Profile, reply: Reply) -> None:
    """The choices last shown, so a typed number or label can pick one where there are no
    buttons (Signal, the terminal)."""
    options = [o for row in reply.options for o in row if o.action]
    profile.state["offered"] = [o.action for o in options]
    profile.state["offered_words"] = [choice_word(o.label) for o in options]


class FloodGuard:
    """Per-person rate limit: a flood slows only that person, who is told once per window.

    Kept in memory on purpose: it protects the process, and a restart may forget it.
    """

    def __init__(self, events: int = 30, seconds: float = 60.0) -> None:
        self.events, self.seconds = events, seconds
        self._seen: dict[str, list[float]] = {}
        self._warned: dict[str, float] = {}

    def check(self, key: str, now: float) -> str:
        """'ok', 'warn' (first event over the limit) or 'drop'."""
        recent = [t for t in self._seen.get(key, []) if now - t < self.seconds]
        recent.append(now)
        self._seen[key] = recent
        if len(self._seen) > 10_000:  # forget the quiet ones
            self._seen = {k: v for k, v in self._seen.items() if now - v[-1] < self.seconds}
        if len(recent) <= self.events:
            return "ok"
        if now - self._warned.get(key, -self.seconds) >= self.seconds:
            self._warned[key] = now
            return "warn"
        return "drop"


class Conversation:
    def __init__(
        self,
        store: Store,
        keys: Keys,
        config: Config,
        content: Content,
        catalogs: Catalogs,
        matcher: Matcher,
        clock: Clock,
    ) -> None:
        self.store = store
        self.matcher = matcher
        self.outbound = Outbound(store, clock)
        self.keys = keys
        self.config = config
        self.content = content
        self.catalogs = catalogs
        self.clock = clock
        self._commands: dict[str, Handler] = {}
        self._command_descriptions: dict[str, str] = {}
        self._actions: dict[str, Handler] = {}
        self._fallback: FallbackHandler | None = None
        self._refused: FallbackHandler | None = None
        self._text: FallbackHandler | None = None
        self._awaited: dict[str, FallbackHandler] = {}
        self._flows: list[tuple[frozenset[str], FlowTextHandler]] = []
        # Every language's aliases work for everyone (content/<lang>/commands.yaml).
        self._aliases = alias_table(content.commands)
        self._locks = PersonLocks()
        # While rotating keys: people not yet seen under the new key are renamed on arrival.
        self.previous_keys: Keys | None = None
        # How this process was started (tokens, paths), for /status; set by bot/runtime.py.
        self.settings: Settings | None = None
        self.flood = FloodGuard()

    # --- wiring (see bot/app.py) -------------------------------------------------------------
    def command(self, name: str, handler: Handler, description: str) -> None:
        """`description` is marked with N_() and translated per language for command lists."""
        self._commands[name] = handler
        self._command_descriptions[name] = description

    def action(self, name: str, handler: Handler) -> None:
        self._actions[name] = handler

    def on_awaited_text(self, name: str, handler: FallbackHandler) -> None:
        """Typed text goes to `handler` while the person's state says it awaits `name`
        (for example a nickname); the handler clears the state when done."""
        self._awaited[name] = handler

    def on_text_in_flow(self, actions: Collection[str], handler: FlowTextHandler) -> None:
        """While the choices last shown include one of `actions` (a booking step), typed text
        that chose none of them goes to `handler` first: it understands "jeudi" or "14h", or
        answers a wrong number inside the flow rather than with the general menu."""
        self._flows.append((frozenset(actions), handler))

    def on_text(self, handler: FallbackHandler) -> None:
        self._text = handler

    def on_refused(self, handler: FallbackHandler) -> None:
        """What a person hears after sending a kind of message the bot never passes on."""
        self._refused = handler

    def on_stale(self, handler: FallbackHandler) -> None:
        """What a person sees after an unknown or outdated button: a polite word and the menu."""
        self._fallback = handler

    @property
    def builtin_commands(self) -> frozenset[str]:
        return frozenset(self._commands)

    @property
    def command_names(self) -> frozenset[str]:
        """Every word that works as a command: built-in names and aliases."""
        return frozenset(self._commands) | frozenset(self._aliases)

    def resolve_command(self, word: str) -> str | None:
        """The built-in command a typed command word means: itself, or an alias in any
        language ("/aide", "/Rendez-vous", "/помощ")."""
        if word in self._commands:
            return word
        key = command_key(word)
        return key if key in self._commands else self._aliases.get(key)

    def command_list(self, lang: str) -> list[tuple[str, str]]:
        """(command, description) pairs in `lang`, for a platform's command menu."""
        with use_language(self.catalogs, lang):
            return [(name, _(text)) for name, text in self._command_descriptions.items()]

    def user_key(self, person: Person) -> str:
        return self.keys.pseudonym(person.channel, person.platform_id)

    async def language_for(self, person: Person) -> str:
        """The language this person chose, or the best guess for someone new."""
        profile = await self.store.load_profile(self.user_key(person))
        if profile is not None and profile.language in self.config.languages:
            return profile.language
        return self._first_guess(person)

    def _first_guess(self, person: Person) -> str:
        return guess_language(
            person.language_hint, self.config.languages, self.config.default_language
        )

    # --- handling ------------------------------------------------------------------------------
    async def handle(self, event: Event) -> list[Reply]:
        user_key = self.user_key(event.person)
        # One event at a time per person: state is read, changed and written as a unit.
        async with self._locks.hold(user_key):
            return await self._handle_locked(event, user_key)

    async def _handle_locked(self, event: Event, user_key: str) -> list[Reply]:
        profile = await self.store.load_profile(user_key)
        if profile is None and self.previous_keys is not None:
            person = event.person
            old_key = self.previous_keys.pseudonym(person.channel, person.platform_id)
            if await self.store.rename_person(old_key, user_key):
                profile = await self.store.load_profile(user_key)
        if profile is None:
            profile = Profile(
                user_key=user_key,
                channel=event.person.channel,
                address=event.person.address,
                language=self._first_guess(event.person),
                is_new=True,
            )
        elif profile.language not in self.config.languages:
            profile.language = self.config.default_language
        profile.address = event.person.address
        now = self.clock()
        # Messages for the team are never dropped (the outbox paces them); anything else from
        # someone flooding the bot is answered once, then ignored until they slow down.
        if profile.state.get("awaiting") != "talk":
            verdict = self.flood.check(user_key, time.monotonic())
            if verdict != "ok":
                if verdict == "drop":
                    return []
                with use_language(self.catalogs, profile.language):
                    return [Reply(escape(_("You are writing very fast. Please wait a minute.")))]
        # Back after the quick exit: what was held for them (the team's messages, reminders)
        # comes again, unless this is the quick exit pressed once more.
        returning = bool(profile.state.pop(EXITED, False))
        turn = Turn(
            event,
            profile,
            self.config,
            self.content,
            self.catalogs,
            self.matcher,
            now,
            self.store,
            commands=self._command_descriptions,
            team_reachable=self.outbound.has_staff,
        )
        with use_language(self.catalogs, profile.language):
            replies = await self._route(turn)
            # Remember the actions offered last, so a typed number can choose one on channels
            # without buttons (the terminal, Signal).
            if replies and not replies[-1].keeps_choices:
                remember_offered(profile, replies[-1])
        if not turn.forgotten:
            await self.store.save_profile(profile, now.astimezone(self.config.zone).date())
            if returning and not profile.state.get(EXITED):
                await self.store.release_held(user_key)
        for notice in turn.staff_notices:
            try:
                await self.outbound.to_staff(notice)
            except Exception:  # the person's answer matters more than the notice
                log.exception("staff_notice_failed")
        return replies

    async def _route(self, turn: Turn) -> list[Reply]:
        event = turn.event
        if event.refused is not None and self._refused is not None:
            return await self._refused(turn)
        if event.command is not None:
            name = self.resolve_command(event.command)
            awaiting_text = turn.profile.state.get("awaiting") in self._awaited
            # A command word typed without a slash while the person writes to the team
            # ("help", "ajutor") is a message for the team; quick exit stays quick exit. An
            # alias typed alone where other text is awaited (a nickname) is that text.
            bare = event.text is not None
            writing_to_team = self._writing_to_team(turn)
            typed_as_text = bare and (
                (writing_to_team and name != "clear") or (name != event.command and awaiting_text)
            )
            with_words = name is not None and self._words_matter(name, event.args)
            if name is not None and not typed_as_text and not with_words:
                return await self._commands[name](turn, event.args.split())
            # A command people guessed (/tpe, /rdv...), or one followed by words: its words
            # are read as typed text.
            words = event.text or f"{event.command} {event.args}".strip()
            event = turn.event = replace(event, command=None, args="", text=words)
        action = event.action
        # Everything typed to the team goes to the team, numbers included.
        if action is None and event.text is not None and not self._writing_to_team(turn):
            action = self._offered_choice(turn, event.text)
        if action is not None:
            name, _sep, rest = action.partition(":")
            handler = self._actions.get(name)
            if handler is None:
                return await self._stale(turn)
            try:
                return await handler(turn, rest.split(":") if rest else [])
            except StaleAction:
                return await self._stale(turn)
        awaiting = turn.profile.state.get("awaiting")
        if event.text is not None and awaiting in self._awaited:
            return await self._awaited[awaiting](turn)
        if event.text is not None:
            offered: list[str] = turn.profile.state.get("offered", [])
            names = {offered_action.partition(":")[0] for offered_action in offered}
            for actions, flow in self._flows:
                if names & actions:
                    try:
                        answer = await flow(turn)
                    except StaleAction:
                        return await self._stale(turn)
                    if answer is not None:
                        return answer
                    break
            if offered and event.text.strip().isdecimal():
                # A number that is none of the choices: say which numbers are.
                hint = choices_hint(event.person, len(offered))
                return [Reply(escape(hint), keeps_choices=True)]
        if event.text is not None and self._text is not None:
            return await self._text(turn)
        return await self._stale(turn)

    @staticmethod
    def _writing_to_team(turn: Turn) -> bool:
        return turn.profile.state.get("awaiting") == "talk"

    def _words_matter(self, name: str, args: str) -> bool:
        """Whether the words after a command are what the person needs answered ("/help i
        want to die", "/menu la capote a craqué") rather than the command's arguments."""
        words = args.split()
        if not words or name == "clear":
            return False  # quick exit, whatever follows it
        if name == "language":
            return len(words) > 1  # "/language nl" chooses; "/langue je veux mourir" does not
        if name == "start":
            return not DEEP_LINK_PAYLOAD.fullmatch(args.strip())
        return True

    def _offered_choice(self, turn: Turn, text: str) -> str | None:
        """A typed number, or an option's label, chooses among the options last shown."""
        choice = text.strip()
        offered: list[str] = turn.profile.state.get("offered", [])
        if choice.isdecimal():
            if len(choice) > 3:  # no list is that long (and int() refuses 4,300 digits)
                return None
            if choice == "0":
                return "menu"
            index = int(choice) - 1
            return offered[index] if 0 <= index < len(offered) else None
        words: list[str] = turn.profile.state.get("offered_words", [])
        typed = choice_word(choice)
        if typed and len(words) == len(offered) and words.count(typed) == 1:
            return offered[words.index(typed)]
        return None

    async def remember_shown(self, user_key: str, reply: Reply) -> None:
        """A message sent outside a turn (a reply from the team, a reminder) now holds the
        choices a typed number refers to."""
        async with self._locks.hold(user_key):
            profile = await self.store.load_profile(user_key)
            if profile is None:
                return
            remember_offered(profile, reply)
            await self.store.save_state(profile)

    async def stop_talking(self, user_key: str) -> None:
        """The team closed the conversation: what the person types goes to the bot again
        (a typed number rates the conversation, where there are no buttons)."""
        async with self._locks.hold(user_key):
            profile = await self.store.load_profile(user_key)
            if profile is None or profile.state.get("awaiting") != "talk":
                return
            del profile.state["awaiting"]
            await self.store.save_state(profile)

    async def _stale(self, turn: Turn) -> list[Reply]:
        if self._fallback is None:
            return [Reply(escape(_("Sorry, I did not understand.")))]
        return await self._fallback(turn)
