"""Signal: the same bot through signal-cli's JSON-RPC daemon (a fake one on 127.0.0.1)."""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path
from typing import Any

import pytest

from bot.channels.signal_rpc import SignalError, parse_address
from bot.channels.text import split_text, styled
from bot.logs import redact
from bot.reminders import send_due_reminders
from bot.settings import SettingsError, load_settings
from tests.booking_helpers import CODE
from tests.conftest import STAFF_CHAT, FakeClock, RunningBot, SignalPerson
from tests.fakes.bot_api import FakeBotAPI, FakeUser
from tests.fakes.signal_cli import FakeSignalCli, SignalUser

NURSE = FakeUser(id=7770001, first_name="Sophie", username="sophie_nurse", language_code="fr")
PHOTO = b"\x89PNG\r\n\x1a\n" + b"fake-picture-of-a-rash" * 10
VOICE = b"AAC-voice-note" * 20


async def test_content_numbers_words_and_commands_without_slash(
    running_bot: RunningBot, ana: SignalPerson
) -> None:
    async with running_bot():
        welcome = await ana.send("bonjour")
        assert "Choisissez un sujet" in welcome
        assert "<b>" not in welcome  # HTML never reaches Signal
        assert "  1. " in welcome and "0" not in welcome.split("1. ")[0][-3:]
        prep = await ana.choose("PrEP")
        assert prep.startswith("PrEP")
        # The title is bold through Signal's own text styles.
        assert any(style.endswith(":BOLD") for style in ana.inbox[-1].styles)
        # The option's label typed as a word chooses it too.
        menu = await ana.send("menu")
        assert "Choisissez un sujet" in menu
        by_word = await ana.send("urgence")
        assert "112" in by_word
        assert "Choisissez un sujet" in await ana.send("0")
        english = await ana.send("/language en")
        assert "Choose a topic" in english
        help_text = await ana.send("help")
        assert "How to use this bot" in help_text
        assert "Send the number of a choice" in help_text


async def test_typed_urgent_question_gets_pep_steps_first(
    running_bot: RunningBot, ana: SignalPerson
) -> None:
    async with running_bot():
        await ana.send("salut")
        urgent = await ana.send("la capote a craqué hier soir")
    first = ana.inbox[-1].text if len(ana.inbox) else ""
    assert urgent.startswith("⚠️ TPE"), urgent
    assert "au plus tard 72 heures" in urgent
    assert "1. 💬 Parler à une personne" in first


async def test_booking_by_numbers_and_a_reminder_on_signal(
    running_bot: RunningBot, ana: SignalPerson, clock: FakeClock
) -> None:
    async with running_bot() as runtime:
        await ana.send("/language en")
        await ana.choose("Appointment")
        await ana.choose("Book an appointment")
        await ana.choose("Rapid test")
        advice = await ana.choose("Less than 3 days ago")
        assert "PEP comes first" in advice
        await ana.choose("Continue booking")
        await ana.choose("Tue, 24 Nov")
        await ana.choose("13:30")
        booked = await ana.choose("Confirm")
        code = CODE.search(booked)
        assert code is not None, booked
        # The evening before, the reminder reaches Signal; its choice works by number.
        clock.now = clock.now.replace(day=23, hour=19)
        sent = await send_due_reminders(runtime.conversation)
        assert sent == 1
        reminder = ana.inbox[-1].text
        assert "13:30" in reminder and "2. 🗓 My appointments" in reminder
        mine = await ana.send("2")
        assert code.group(0) in mine


async def test_talk_to_the_team_with_attachments_both_ways(
    running_bot: RunningBot,
    ana: SignalPerson,
    signal_cli: FakeSignalCli,
    bot_api: FakeBotAPI,
    staff_chat: int,
) -> None:
    async with running_bot():
        await ana.send("bonjour")
        offer = await ana.send("talk")
        assert "votre numéro ni votre compte" in offer
        await ana.choose("Écrire à l'équipe")
        await ana.send("J'ai une question", [("image/png", "rash.png", PHOTO)])
        await ana.send("", [("audio/aac", None, VOICE)])  # type: ignore[list-item]
        staff = bot_api.messages[STAFF_CHAT]
        await bot_api.wait_for(lambda: sum(1 for m in staff.values() if m.media) >= 2)
        topic_id, topic_name = list(bot_api.topics[STAFF_CHAT].items())[-1]
        assert topic_name.endswith("· FR · via Signal"), topic_name
        in_topic = [m for m in staff.values() if m.thread_id == topic_id]
        photo = next(m for m in in_topic if m.media == "photo")
        assert photo.text == "J'ai une question" and photo.file_bytes == PHOTO
        voice = next(m for m in in_topic if m.media == "voice")
        assert voice.file_bytes == VOICE

        # Staff answer from the topic: text, then a photo with a caption, then a document.
        bot_api.staff_writes(NURSE, STAFF_CHAT, "Bonjour, c'est l'infirmière.", thread_id=topic_id)
        bot_api.staff_sends_media(
            NURSE, STAFF_CHAT, "photo", b"JPEG-of-the-map", "Le plan", thread_id=topic_id
        )
        bot_api.staff_sends_media(NURSE, STAFF_CHAT, "document", b"%PDF-1.7", thread_id=topic_id)
        # (Each comes after a neutral line in discreet mode, the example config's choice.)
        await signal_cli.wait_for(lambda: len(ana.inbox) >= 10 and bool(ana.inbox[-1].files))
        texts = [m.text for m in ana.inbox]
        assert texts.count("🔔 Vous avez un nouveau message.") == 3
        assert "Bonjour, c'est l'infirmière." in texts
        with_photo = next(m for m in ana.inbox if m.text == "Le plan")
        assert with_photo.files[0].data == b"JPEG-of-the-map"
        assert with_photo.files[0].content_type == "image/jpeg"
        pdf = ana.inbox[-1].files[0]
        assert pdf.data == b"%PDF-1.7" and pdf.filename == "plan.pdf"
        # A number written to the team goes to the team, not to an old list of choices.
        await ana.send("2")
        await bot_api.wait_for(lambda: any(m.text == "2" for m in staff.values()))

        # Staff close the conversation: the rating works by number.
        bot_api.staff_writes(NURSE, STAFF_CHAT, "/close", thread_id=topic_id)
        await signal_cli.wait_for(lambda: "1 = " in ana.inbox[-1].text)
        thanks = await ana.send("5")
        assert "Merci" in thanks


async def test_staff_reply_waits_for_a_restarted_daemon_and_arrives_once(
    running_bot: RunningBot,
    ana: SignalPerson,
    signal_cli: FakeSignalCli,
    bot_api: FakeBotAPI,
    staff_chat: int,
    channels: dict[str, Any],
) -> None:
    async with running_bot():
        await ana.send("talk")
        await ana.choose("Écrire à l'équipe")
        await ana.send("Vous êtes là ?")
        await bot_api.wait_for(lambda: len(bot_api.topics.get(STAFF_CHAT, {})) == 2)
        topic_id = list(bot_api.topics[STAFF_CHAT])[-1]
        before = len(ana.inbox)

        await signal_cli.stop()  # the daemon goes down mid-conversation
        bot_api.staff_writes(NURSE, STAFF_CHAT, "Oui, je suis là.", thread_id=topic_id)
        await asyncio.sleep(0.5)
        assert len(ana.inbox) == before
        await signal_cli.start()  # same port: the bot reconnects by itself
        await signal_cli.wait_for(lambda: len(ana.inbox) > before, timeout=60)
        assert channels["signal"].connections == 2

        # signal-cli hands the same message over again after the reconnection: answered once.
        again = signal_cli.message_envelope(ana.user, "Merci !")
        await ana.deliver(again)
        await ana.deliver(again)
        staff = bot_api.messages[STAFF_CHAT]
        await bot_api.wait_for(lambda: any(m.text == "Merci !" for m in staff.values()))
        await asyncio.sleep(0.3)
    assert [m.text for m in ana.inbox].count("Oui, je suis là.") == 1
    assert sum(1 for m in staff.values() if m.text == "Merci !") == 1


async def test_garbage_lines_and_things_that_need_no_answer(
    running_bot: RunningBot, ana: SignalPerson, signal_cli: FakeSignalCli
) -> None:
    user = ana.user
    async with running_bot():
        await ana.send("bonjour")
        before = len(ana.inbox)
        await signal_cli.push(b"this is not json\n")
        await signal_cli.push(b"[1, 2, 3]\n")
        await signal_cli.push({"jsonrpc": "2.0", "method": "somethingNew", "params": {"x": 1}})
        await signal_cli.push({"jsonrpc": "2.0", "id": 999999, "result": {}})
        quiet = [
            signal_cli.envelope(user, typingMessage={"action": "STARTED", "timestamp": 1}),
            signal_cli.envelope(user, receiptMessage={"when": 1, "isDelivery": True,
                                                      "isRead": False, "timestamps": [1]}),
            signal_cli.envelope(user, syncMessage={"sentMessage": {"message": "x"}}),
            signal_cli.envelope(user, storyMessage={"allowsReplies": False}),
            {"sourceNumber": "+32470999999", "timestamp": 5,
             "dataMessage": {"message": "no uuid"}},
        ]  # fmt: skip
        for envelope in quiet:
            await ana.deliver(envelope)
        assert len(ana.inbox) == before
        # A message in a group: the bot leaves the group and answers nobody there.
        group = signal_cli.message_envelope(user, "hello group")
        group["dataMessage"]["groupInfo"] = {"groupId": "R3JvdXAtaWQ=", "type": "DELIVER"}
        await ana.deliver(group)
        assert signal_cli.groups_left == ["R3JvdXAtaWQ="]
        assert len(ana.inbox) == before
        # A call gets one line saying the bot cannot answer calls.
        call = signal_cli.envelope(user, callMessage={"offerMessage": {"id": 1, "type": "AUDIO"}})
        await ana.deliver(call)
        assert "appels" in ana.inbox[-1].text
        # And the conversation goes on as before.
        assert "Choisissez un sujet" in await ana.send("menu")


async def test_disappearing_messages_privacy_and_clear(
    running_bot: RunningBot, ana: SignalPerson, signal_cli: FakeSignalCli
) -> None:
    async with running_bot():
        await ana.send("hello")
        assert signal_cli.expiration[ana.user.uuid] == 24 * 3600
        signal_cli.expiration.clear()
        await ana.send("privacy")
        kept = await ana.choose("En savoir plus")
        assert "messages éphémères" in kept and "24\xa0heures" in kept
        assert signal_cli.expiration == {}  # set once, for a new person only
        bot_messages = [m.timestamp for m in ana.inbox]
        cleared = await ana.send("/clear")
    deleted = [stamp for uuid, stamp in signal_cli.deleted if uuid == ana.user.uuid]
    assert sorted(deleted) == sorted(bot_messages)
    assert "Signal ne me permet pas" in cleared and "24\xa0heures" in cleared


async def test_long_pages_are_split_between_paragraphs(
    running_bot: RunningBot, ana: SignalPerson, monkeypatch: pytest.MonkeyPatch
) -> None:
    # No page of the content is longer than Signal's 2,000 characters yet; a smaller limit
    # shows what a longer page would do.
    monkeypatch.setattr("bot.channels.signal.MESSAGE_LIMIT", 300)
    async with running_bot():
        await ana.send("/language en")
        before = len(ana.inbox)
        await ana.send("/privacy")
        pieces = [m.text for m in ana.inbox[before:]]
    assert len(pieces) > 1 and all(len(piece) <= 300 for piece in pieces)
    assert pieces[0].startswith("Your privacy")
    assert "1. 🗑 Delete everything about me" in pieces[-1]


async def test_nothing_identifies_a_signal_user(
    running_bot: RunningBot,
    ana: SignalPerson,
    signal_cli: FakeSignalCli,
    bot_api: FakeBotAPI,
    staff_chat: int,
    env: dict[str, str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    async with running_bot():
        await ana.send("bonjour")
        await ana.send("la capote a craqué hier")
        await ana.send("talk")
        await ana.choose("Écrire à l'équipe")
        await ana.send("Je m'appelle pas ici", [("image/png", "rash.png", PHOTO)])
        staff = bot_api.messages[STAFF_CHAT]
        await bot_api.wait_for(lambda: any(m.media for m in staff.values()))
        await ana.send("/forget")
    secrets = [ana.user.uuid, ana.user.number, ana.user.number.lstrip("+"), ana.user.name]
    sent_to_staff = json.dumps([params for _method, params in bot_api.calls], default=str)
    for secret in secrets:
        assert secret not in sent_to_staff
    for path in Path(env["BOT_DATA_DIR"]).rglob("*"):
        if path.is_file():
            content = path.read_bytes()
            for secret in secrets:
                assert secret.encode() not in content, (path.name, secret)
    logged = "\n".join(record.getMessage() for record in caplog.records)
    for secret in secrets:
        assert secret not in logged


def test_signal_settings_come_together(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="SIGNAL_ACCOUNT and SIGNAL_CLI go together"):
        load_settings({"BOT_DATA_DIR": str(tmp_path), "SIGNAL_ACCOUNT": "+32470000000"})
    settings = load_settings(
        {"BOT_DATA_DIR": str(tmp_path), "SIGNAL_ACCOUNT": "+32470000000",
         "SIGNAL_CLI": "/run/signal-cli/socket"}
    )  # fmt: skip
    assert parse_address(settings.signal_cli or "") == "/run/signal-cli/socket"
    assert parse_address("127.0.0.1:7583") == ("127.0.0.1", 7583)


async def test_unix_socket_and_an_edit_that_follows_to_the_team(
    running_bot: RunningBot,
    signal_cli: FakeSignalCli,
    bot_api: FakeBotAPI,
    staff_chat: int,
    env: dict[str, str],
    channels: dict[str, Any],
    tmp_path: Path,
) -> None:
    daemon = FakeSignalCli(socket_path=str(tmp_path / "signal-cli.sock"))
    await daemon.start()
    env["SIGNAL_CLI"] = daemon.address
    person = SignalPerson(
        daemon, SignalUser("0b6c1f7d-2e3a-4b5c-9d8e-7f6a5b4c3d2e", "+32499887766"), channels
    )
    try:
        async with running_bot():
            await person.send("talk")
            await person.choose("Écrire à l'équipe")
            first = daemon.message_envelope(person.user, "Je suis a Mons")
            await person.deliver(first)
            staff = bot_api.messages[STAFF_CHAT]
            await bot_api.wait_for(lambda: any(m.text == "Je suis a Mons" for m in staff.values()))
            edit = daemon.envelope(
                person.user,
                editMessage={
                    "targetSentTimestamp": first["timestamp"],
                    "dataMessage": {"timestamp": 1, "message": "Je suis à Mons"},
                },
            )
            await person.deliver(edit)
            await bot_api.wait_for(lambda: any(m.text == "Je suis à Mons" for m in staff.values()))
    finally:
        await daemon.stop()
    assert not any(m.text == "Je suis a Mons" for m in staff.values())


def test_long_text_is_cut_between_paragraphs_and_styles_count_utf16() -> None:
    paragraphs = [f"Paragraph {n}: " + "words " * 60 for n in range(20)]
    text = "\n\n".join(paragraphs)
    pieces = split_text(text, 2000)
    assert len(pieces) > 1 and all(len(piece) <= 2000 for piece in pieces)
    # Cut only between paragraphs, and nothing lost.
    assert all(piece.startswith("Paragraph") for piece in pieces)
    assert "\n\n".join(pieces).split() == text.split()
    # Bold after an emoji: Signal counts UTF-16 code units, and 🚨 takes two.
    plain, styles = styled("🚨 <b>PEP &amp; PrEP</b> now")
    assert plain == "🚨 PEP & PrEP now"
    assert styles == [(3, 10, "BOLD")]


def test_logs_mask_signal_numbers_and_uuids_even_in_error_messages() -> None:
    error = SignalError(-1, "Failed to send to +32470123456 (9f1c2b7e-4d5a-4c3b-8e2f-0a1b2c3d4e5f)")
    masked = redact(f"signal_update_failed error={error}")
    assert "32470123456" not in masked and "9f1c2b7e" not in masked
    assert "<number>" in masked and "<uuid>" in masked
