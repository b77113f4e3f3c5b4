"""Odd and hostile input: floods, garbage, random event sequences. Nothing raises, and the
answer is in the person's language."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.conversation import Event, FloodGuard, Person
from bot.runtime import open_runtime
from bot.settings import load_settings
from tests.conftest import FakeClock, RunningBot, TelegramPerson
from tests.fakes.bot_api import FakeBotAPI, FakeUser


def test_flood_guard_slows_only_the_flooder() -> None:
    guard = FloodGuard(events=3, seconds=60)
    verdicts = [guard.check("a", t) for t in (0, 1, 2, 3, 4)]
    assert verdicts == ["ok", "ok", "ok", "warn", "drop"]
    assert guard.check("b", 4) == "ok"
    assert guard.check("a", 70) == "ok"


async def test_a_flooding_person_is_told_once(running_bot: RunningBot, bot_api: FakeBotAPI) -> None:
    flooder = TelegramPerson(
        bot_api, FakeUser(id=5550002001, first_name="F", username=None, language_code="en")
    )
    calm = TelegramPerson(
        bot_api, FakeUser(id=5550002002, first_name="C", username=None, language_code="nl")
    )
    async with running_bot() as runtime:
        runtime.conversation.flood = FloodGuard(events=5, seconds=60)
        for n in range(12):
            bot_api.user_sends(flooder.user, f"spam {n}")
        await asyncio.sleep(1.5)
        answers = [m.text for m in bot_api.bot_messages(flooder.user.id)]
        assert answers.count("You are writing very fast. Please wait a minute.") == 1
        assert len(answers) == 6
        reply = await calm.send("/start")
        assert "Hallo" in reply.text


ODD_TEXT = st.one_of(
    st.text(max_size=5000),
    st.sampled_from(["", " ", "🙂🙂🙂", "مرحبا كيف حالك", "\x00\x07\u202e", "/start " + "x" * 300,
                     "/language ☃", "/agenda", "/done ???", "0", "99", "-1"]),
    # Very long digit strings (a number pasted again and again, or a phone's garbage).
    st.integers(min_value=4000, max_value=45000).map(lambda n: "7" * n),
)  # fmt: skip
ACTIONS = st.sampled_from(
    ["menu", "t:prep", "t:nope", "p:pep:99", "p:pep:x", "loc:nowhere", "setlang:zz", "bd:a:b:c",
     "bs:rapid_test:charleroi:999999999999", "bc:forged", "am:AAA-AAA", "ax:AAA-AAA", "rate:1:9",
     "tk:start", "tk:nope", "tk:end", "fg", "fg:yes", "clear", "call:", "src:pep", "book", "ba",
     "bt:nurse"]
)  # fmt: skip
EVENTS = st.lists(
    st.one_of(
        ODD_TEXT.map(lambda t: ("text", t)),
        ACTIONS.map(lambda a: ("action", a)),
        st.sampled_from(
            ["start", "menu", "help", "language", "talk", "end", "forget", "clear", "nope"]
        ).map(lambda c: ("command", c)),
        # Contact cards and locations (never relayed nor kept), polls and games.
        st.sampled_from(["identifying", "other"]).map(lambda k: ("refused", k)),
        st.just(("unknown_button", "")),
    ),
    min_size=1,
    max_size=12,
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(events=EVENTS, lang=st.sampled_from(["fr", "nl", "ro", "bg"]))
def test_random_event_sequences_never_raise(
    tmp_path: Path, events: list[tuple[str, str]], lang: str
) -> None:
    async def scenario() -> None:
        env = {"BOT_DATA_DIR": str(tmp_path / lang), "BOT_SECRET_KEY": "h" * 40}
        clock = FakeClock(datetime(2026, 11, 23, 9, 0, tzinfo=UTC))
        async with open_runtime(load_settings(env), clock) as runtime:
            conversation = runtime.conversation
            conversation.flood = FloodGuard(events=10_000)
            person = Person("telegram", "424242", "424242", language_hint=lang)
            await conversation.handle(Event(person, command="language", args=lang))
            for kind, value in events:
                if kind == "text":
                    event = Event(person, text=value, message_ref="7")
                elif kind == "action":
                    event = Event(person, action=value)
                elif kind == "command":
                    event = Event(person, command=value)
                elif kind == "refused":
                    event = Event(person, refused=value)
                else:
                    event = Event(person, unknown_button=True)
                replies = await conversation.handle(event)
                for reply in replies:
                    assert reply.text.strip()
                if await conversation.language_for(person) != lang:
                    return  # /forget or a language choice changed it: a new person now
            assert await conversation.language_for(person) == lang

    asyncio.run(scenario())


async def test_digits_that_are_not_decimal_are_text(tmp_path: Path) -> None:
    """'²' counts as a digit for str.isdigit() but int() refuses it: it must not crash a turn."""
    settings = load_settings(
        {"BOT_DATA_DIR": str(tmp_path), "BOT_SECRET_KEY": "k" * 40, "LOG_LEVEL": "WARNING"}
    )
    async with open_runtime(settings) as runtime:
        person = Person("terminal", "someone", "terminal")
        await runtime.conversation.handle(Event(person, command="start"))
        for text in ("²", "3²", "la capote a craqué il y a 2² heures"):
            replies = await runtime.conversation.handle(Event(person, text=text))
            assert replies and replies[0].text
