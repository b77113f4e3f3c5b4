"""Signal at the edges: lines signal-cli (or anything on its socket) gets wrong, files too big
to pass on, and what is never relayed (issue 13: points 5 and 13)."""

from __future__ import annotations

import json

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
