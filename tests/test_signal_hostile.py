"""Signal at the edges: lines signal-cli (or anything on its socket) gets wrong, files too big
to pass on, and what is never relayed (issue 13: points 5 and 13)."""

from __future__ import annotations

import asyncio
import json
import logging

import pytest

from bot.channels.signal_input import ANSWER_ID_AT_END, Dropped, next_line
from tests.conftest import STAFF_CHAT, RunningBot, SignalPerson
from tests.fakes.bot_api import FakeBotAPI
from tests.fakes.signal_cli import FakeSignalCli

PHOTO = b"\x89PNG\r\n\x1a\n-a-photo"


async def test_a_bad_line_costs_that_line_only(
    running_bot: RunningBot, ana: SignalPerson, signal_cli: FakeSignalCli
) -> None:
    async with running_bot():
        connections = ana.channels["signal"].connections
        # Far over the reader's line limit, deeply nested, not JSON, wrong types.
        await signal_cli.push(b'{"jsonrpc":"2.0","method":"receive","params":"' + b"x" * (70 << 20))
        await signal_cli.push(b'"}\n')
        await signal_cli.push(b"[" * 100_000 + b"]" * 100_000 + b"\n")
        await signal_cli.push(b"\xff\xfe not json\n")
        await signal_cli.push(
            {"jsonrpc": "2.0", "method": "receive", "params": {"envelope": {"sourceUuid": 42}}}
        )
        await signal_cli.push({"jsonrpc": "2.0", "id": [1], "result": {"results": "nope"}})
        await signal_cli.deliver(signal_cli.message_envelope(ana.user, "bonjour"))
        await signal_cli.wait_for(lambda: any("Choisissez un sujet" in m.text for m in ana.inbox))
        assert ana.channels["signal"].connections == connections, "never reconnected"


async def test_a_file_too_big_is_not_fetched_and_the_person_is_told(
    running_bot: RunningBot,
    ana: SignalPerson,
    signal_cli: FakeSignalCli,
    bot_api: FakeBotAPI,
    staff_chat: int,
) -> None:
    async with running_bot():
        await ana.send("talk")
        await ana.choose("Écrire à l'équipe")
        envelope = signal_cli.message_envelope(ana.user, "voici la lettre", [])
        envelope["dataMessage"]["attachments"] = [
            {"contentType": "video/mp4", "filename": "Zelmira_Ionescu.mp4", "id": "huge.bin",
             "size": 300 * 1024 * 1024}
        ]  # fmt: skip
        sent = await ana.deliver(envelope)
        assert any("trop" in m.text and "20" in m.text for m in sent), [m.text for m in sent]
        staff = bot_api.messages[STAFF_CHAT]
        await bot_api.wait_for(lambda: any(m.text == "voici la lettre" for m in staff.values()))
        assert not [c for c in signal_cli.requests if c.get("method") == "getAttachment"]


async def test_contact_cards_and_locations_are_refused_and_file_names_never_travel(
    running_bot: RunningBot,
    ana: SignalPerson,
    signal_cli: FakeSignalCli,
    bot_api: FakeBotAPI,
    staff_chat: int,
) -> None:
    async with running_bot():
        await ana.send("talk")
        await ana.choose("Écrire à l'équipe")
        card = signal_cli.message_envelope(ana.user, None, [])
        card["dataMessage"]["contacts"] = [
            {"name": {"display": "Marco"}, "phone": [{"value": "+32470999888", "type": "MOBILE"}]}
        ]
        refused = await ana.deliver(card)
        assert any("carte de contact" in m.text for m in refused), [m.text for m in refused]
        place = "Rue Haute 1\nhttps://maps.google.com/maps?q=50.4108%2C4.4446"
        refused = await ana.deliver(signal_cli.message_envelope(ana.user, place, []))
        assert any("carte de contact" in m.text for m in refused)

        await ana.send("la photo", [("image/png", "Zelmira_Ionescu_passport.png", PHOTO)])
        staff = bot_api.messages[STAFF_CHAT]
        await bot_api.wait_for(lambda: any(m.file_bytes == PHOTO for m in staff.values()))
        sent = json.dumps(bot_api.calls, default=str)
        for secret in ("Marco", "+32470999888", "Rue Haute", "50.4108", "Zelmira", "passport"):
            assert secret not in sent, secret


async def test_an_over_long_line_is_dropped_whole_and_logged_once_without_its_content(
    running_bot: RunningBot,
    ana: SignalPerson,
    signal_cli: FakeSignalCli,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="bot.channels.signal")
    async with running_bot():
        connections = ana.channels["signal"].connections
        # A message hidden at the end of a line far over the limit is no message.
        hidden = signal_cli.message_envelope(ana.user, "Zelmira menu")
        await signal_cli.push(b"x" * (70 << 20))
        notification = {"jsonrpc": "2.0", "method": "receive", "params": {"envelope": hidden}}
        await signal_cli.push(json.dumps(notification).encode() + b"\n")
        sent = await ana.deliver(signal_cli.message_envelope(ana.user, "bonjour"))
        assert any("Choisissez un sujet" in m.text for m in sent)
        assert ana.channels["signal"].connections == connections, "never reconnected"
        assert len(ana.inbox) == len(sent), "nothing answered the hidden message"
    warnings = [
        r.getMessage()
        for r in caplog.records
        if r.name == "bot.channels.signal" and r.levelno >= logging.WARNING
    ]
    assert warnings == ["signal_line_too_long"], warnings


async def test_fields_of_unexpected_types_cost_nothing_but_that_envelope(
    running_bot: RunningBot,
    ana: SignalPerson,
    signal_cli: FakeSignalCli,
    bot_api: FakeBotAPI,
    staff_chat: int,
) -> None:
    async with running_bot():
        await ana.send("talk")
        await ana.choose("Écrire à l'équipe")
        first = signal_cli.message_envelope(ana.user, "Je suis a Mons")
        await ana.deliver(first)
        staff = bot_api.messages[STAFF_CHAT]
        await bot_api.wait_for(lambda: any(m.text == "Je suis a Mons" for m in staff.values()))
        odd = [
            signal_cli.envelope(ana.user, dataMessage=["not", "a", "dict"]),
            signal_cli.envelope(ana.user, dataMessage={"message": 42, "attachments": {"id": 1}}),
            signal_cli.envelope(ana.user, dataMessage={"message": None, "attachments": [7, None]}),
            signal_cli.envelope(
                ana.user,
                editMessage={
                    "targetSentTimestamp": first["timestamp"],
                    "dataMessage": {"message": {"text": "Zelmira"}},
                },
            ),
        ]
        for envelope in odd:
            assert await ana.deliver(envelope) == []
        await ana.send("encore là")
        assert not any("⚠️" in m.text for m in ana.inbox), "no apology: nothing went wrong"
        await bot_api.wait_for(lambda: any(m.text == "encore là" for m in staff.values()))
        texts = json.dumps(bot_api.calls, default=str)
        assert "Zelmira" not in texts, [
            c for c in bot_api.calls if "Zelmira" in json.dumps(c, default=str)
        ]
        assert any(m.text == "Je suis a Mons" for m in staff.values())


async def test_stickers_view_once_media_polls_payments_and_story_replies_are_refused(
    running_bot: RunningBot,
    ana: SignalPerson,
    signal_cli: FakeSignalCli,
    bot_api: FakeBotAPI,
    staff_chat: int,
) -> None:
    async with running_bot():
        await ana.send("talk")
        await ana.choose("Écrire à l'équipe")
        await ana.send("bonjour l'équipe")
        staff = bot_api.messages[STAFF_CHAT]
        await bot_api.wait_for(lambda: any(m.text == "bonjour l'équipe" for m in staff.values()))
        before = len(bot_api.calls)
        # Shapes from signal-cli json/JsonSticker.java, JsonPollCreate.java, JsonPayment.java,
        # JsonStoryContext.java; viewOnce and attachments from JsonDataMessage.java.
        parts: list[dict[str, object]] = [
            {"sticker": {"packId": "9acc9e8aba563d26a4994e69263e3b25", "stickerId": 3}},
            {"pollCreate": {"question": "Zelmira?", "allowMultiple": False,
                            "options": ["oui", "non"]}},
            {"payment": {"note": "Zelmira", "receipt": "AAAA"}},
            {"message": "Zelmira", "storyContext": {"authorNumber": None,
                                                    "authorUuid": "u", "sentTimestamp": 1}},
        ]  # fmt: skip
        envelopes = []
        for part in parts:
            envelope = signal_cli.message_envelope(ana.user, None)
            envelope["dataMessage"].update(part)
            envelopes.append(envelope)
        once = signal_cli.message_envelope(ana.user, None, [("image/jpeg", "Zelmira.jpg", PHOTO)])
        once["dataMessage"]["viewOnce"] = True
        envelopes.append(once)
        for envelope in envelopes:
            answer = await ana.deliver(envelope)
            assert any("ce type de message" in m.text for m in answer), [m.text for m in answer]
        await ana.send("la suite")
        await bot_api.wait_for(lambda: any(m.text == "la suite" for m in staff.values()))
        assert "Zelmira" not in json.dumps(bot_api.calls[before:], default=str)
        assert not [c for c in signal_cli.requests if c.get("method") == "getAttachment"]


async def test_a_file_bigger_than_announced_is_not_passed_on_and_the_person_is_told(
    running_bot: RunningBot,
    ana: SignalPerson,
    signal_cli: FakeSignalCli,
    bot_api: FakeBotAPI,
    staff_chat: int,
) -> None:
    async with running_bot():
        await ana.send("talk")
        await ana.choose("Écrire à l'équipe")
        for size in (21 << 20, (20 << 20) + 1):  # over the line limit; just over the setting
            envelope = signal_cli.message_envelope(
                ana.user, "la vidéo", [("video/mp4", "Zelmira.mp4", b"\0" * size)]
            )
            envelope["dataMessage"]["attachments"][0]["size"] = 1000  # what the sender claimed
            told = len([m for m in ana.inbox if "pas pu être transmis" in m.text])
            await ana.deliver(envelope)
            # Told at once, not after the request's timeout (the test would time out first).
            await signal_cli.wait_for(
                lambda n=told: len([m for m in ana.inbox if "pas pu être transmis" in m.text]) > n
            )
        staff = bot_api.messages[STAFF_CHAT]
        assert not any(m.file_bytes for m in staff.values())
        fetched = [c for c in signal_cli.requests if c.get("method") == "getAttachment"]
        assert len(fetched) == 2, "each fetched once, never again"


async def test_lines_are_read_whole_or_dropped_whole() -> None:
    reader = asyncio.StreamReader(limit=16)
    reader.feed_data(b"short\n" + b"x" * 40)
    reader.feed_data(b'"id":7}\n{"id":8}\n')  # the end of the long line, then a line in time
    reader.feed_data(b"y" * 40)  # over the limit, and the daemon goes away before its end
    reader.feed_eof()
    assert await next_line(reader) == b"short\n"
    dropped = await next_line(reader)
    assert isinstance(dropped, Dropped) and dropped.tail.endswith(b'"id":7}\n')
    assert ANSWER_ID_AT_END.search(dropped.tail)[1] == b"7"  # type: ignore[index]
    assert await next_line(reader) == b'{"id":8}\n'
    assert await next_line(reader) is None
