"""Quick exit, forget and the relay keep their promises when someone is in a hurry, comes back,
or sends what they should not (issue 13: points 1-7 and 15)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import yaml

from bot.reminders import send_due_reminders
from bot.retention import purge_expired
from tests.booking_helpers import ENGLISH, book_rapid_test
from tests.conftest import ROOT, STAFF_CHAT, FakeClock, RunningBot, SignalPerson, TelegramPerson
from tests.fakes.bot_api import ChatMessage, FakeBotAPI, FakeUser
from tests.fakes.signal_cli import FakeSignalCli

NURSE = FakeUser(id=5550000042, first_name="Claire", username="claire_nurse", language_code="fr")


def english_speaker(api: FakeBotAPI, user_id: int) -> TelegramPerson:
    return TelegramPerson(
        api, FakeUser(id=user_id, first_name="Eve", username=None, language_code="en")
    )


def copies_in(api: FakeBotAPI, chat_id: int) -> list[ChatMessage]:
    return [m for m in api.bot_messages(chat_id) if m.copied_from is not None]


def in_topic(api: FakeBotAPI, thread: int) -> list[str]:
    return [m.text for m in api.bot_messages(STAFF_CHAT) if m.thread_id == thread]


async def talk_to_the_team(person: TelegramPerson, api: FakeBotAPI, first: str) -> int:
    """Opens a conversation and writes once; returns the conversation's topic."""
    offer = await person.send("/talk")
    await person.tap(offer, "Write to the team")
    before = len(copies_in(api, STAFF_CHAT))
    await person.send(first)
    await api.wait_for(lambda: len(copies_in(api, STAFF_CHAT)) > before)
    thread = copies_in(api, STAFF_CHAT)[-1].thread_id
    assert thread is not None
    return thread


async def staff_answer(api: FakeBotAPI, thread: int, text: str) -> str:
    """A staff member writes in the topic; returns what the bot answered there, if anything."""
    before = len(in_topic(api, thread))
    api.staff_writes(NURSE, STAFF_CHAT, text, thread_id=thread)
    await api.wait_for(lambda: len(in_topic(api, thread)) > before)
    return in_topic(api, thread)[-1]


async def test_quick_exit_ends_the_conversation_and_holds_what_the_team_writes(
    running_bot: RunningBot, bot_api: FakeBotAPI, staff_chat: int
) -> None:
    eve = english_speaker(bot_api, 5550007001)
    async with running_bot():
        thread = await talk_to_the_team(eve, bot_api, "he is coming back tonight")
        await eve.send("/clear")
        assert [m.text for m in bot_api.bot_messages(eve.user.id)] == ["👋"]
        await bot_api.wait_for(lambda: any("🚪" in text for text in in_topic(bot_api, thread)))

        held = await staff_answer(bot_api, thread, "Are you safe? Call us.")
        assert held.startswith("⏸"), held
        # Nothing reaches the person while they are away, however long the relay runs.
        await eve.send("/clear")  # pressed again in a panic: still held
        assert [m.text for m in bot_api.bot_messages(eve.user.id)] == ["👋"]

        # They write again: what the team wrote arrives now.
        await eve.send("/menu")
        await bot_api.wait_for(
            lambda: any(m.text == "Are you safe? Call us." for m in copies_in(bot_api, eve.user.id))
        )


async def test_staff_messages_to_an_ended_conversation_are_not_delivered(
    running_bot: RunningBot, bot_api: FakeBotAPI, staff_chat: int
) -> None:
    eve = english_speaker(bot_api, 5550007002)
    async with running_bot():
        thread = await talk_to_the_team(eve, bot_api, "a question about PrEP")
        await eve.send("/end")
        await bot_api.wait_for(lambda: any("✖" in text for text in in_topic(bot_api, thread)))
        answer = await staff_answer(bot_api, thread, "One more thing...")
        assert answer.startswith("⚠️"), answer
        assert not copies_in(bot_api, eve.user.id)


async def test_quick_exit_deletes_reminders_and_team_replies_and_pauses_reminders(
    running_bot: RunningBot, bot_api: FakeBotAPI, staff_chat: int, clock: FakeClock
) -> None:
    eve = english_speaker(bot_api, 5550007003)
    async with running_bot() as runtime:
        await eve.send("/start")
        code, _booked = await book_rapid_test(eve, ENGLISH)  # Tuesday 24 November, 13:30
        thread = await talk_to_the_team(eve, bot_api, "see you tomorrow")
        bot_api.staff_writes(NURSE, STAFF_CHAT, "See you at 13:30.", thread_id=thread)
        await bot_api.wait_for(lambda: len(copies_in(bot_api, eve.user.id)) == 1)
        clock.now = clock.now + timedelta(hours=22)  # the day-before reminder is due
        assert await send_due_reminders(runtime.conversation) == 1
        assert any(code in m.text for m in bot_api.bot_messages(eve.user.id))

        await eve.send("/clear")
        assert [m.text for m in bot_api.bot_messages(eve.user.id)] == ["👋"]
        assert [m.text for m in bot_api.messages[eve.user.id].values()] == ["👋"], (
            "the person's own messages are deleted too"
        )

        clock.now = clock.now + timedelta(hours=3, minutes=40)  # two hours before: due
        assert await send_due_reminders(runtime.conversation) == 0, "paused after quick exit"
        await eve.send("/menu")  # back: reminders resume
        assert await send_due_reminders(runtime.conversation) == 1


async def test_forget_clears_the_chat_and_closes_the_topic_for_good(
    running_bot: RunningBot, bot_api: FakeBotAPI, staff_chat: int
) -> None:
    eve = english_speaker(bot_api, 5550007004)
    async with running_bot() as runtime:
        thread = await talk_to_the_team(eve, bot_api, "delete me after this")
        bot_api.staff_writes(NURSE, STAFF_CHAT, "Of course.", thread_id=thread)
        await bot_api.wait_for(lambda: len(copies_in(bot_api, eve.user.id)) == 1)
        question = await eve.send("/forget")
        done = await eve.tap(question, "Yes, delete everything")
        assert [m.text for m in bot_api.bot_messages(eve.user.id)] == [done.text]
        assert "team" not in done.text and "conversation" not in done.text
        await bot_api.wait_for(lambda: any("🗑" in text for text in in_topic(bot_api, thread)))
        await bot_api.wait_for(lambda: thread in bot_api.closed_topics[STAFF_CHAT])

        answer = await staff_answer(bot_api, thread, "Are you still there?")
        assert answer.startswith("⚠️"), answer
        assert len(copies_in(bot_api, eve.user.id)) == 0
        assert await runtime.store.outbox_size() == 0


async def test_the_retention_purge_closes_the_topic_with_a_notice(
    running_bot: RunningBot, bot_api: FakeBotAPI, staff_chat: int, clock: FakeClock
) -> None:
    eve = english_speaker(bot_api, 5550007005)
    async with running_bot() as runtime:
        thread = await talk_to_the_team(eve, bot_api, "just a question")
        await eve.send("/end")
        await bot_api.wait_for(lambda: any("✖" in text for text in in_topic(bot_api, thread)))
        clock.now = clock.now + timedelta(days=400)
        purged = await purge_expired(runtime.conversation)
        assert purged.conversations == 1
        await bot_api.wait_for(lambda: any("🗑" in text for text in in_topic(bot_api, thread)))
        answer = await staff_answer(bot_api, thread, "Hello?")
        assert answer.startswith("⚠️"), answer


async def test_digits_typed_to_the_team_go_to_the_team(
    running_bot: RunningBot, bot_api: FakeBotAPI, staff_chat: int
) -> None:
    eve = english_speaker(bot_api, 5550007006)
    async with running_bot():
        await talk_to_the_team(eve, bot_api, "my code is")
        for typed in ("1", "0", "4096"):
            bot_api.user_sends(eve.user, typed)  # no answer: each goes to the team
        await bot_api.wait_for(lambda: len(copies_in(bot_api, STAFF_CHAT)) == 4)
        assert [m.text for m in copies_in(bot_api, STAFF_CHAT)][1:] == ["1", "0", "4096"]


async def test_digits_and_words_on_signal_go_to_the_team_and_end_leaves(
    running_bot: RunningBot,
    ana: SignalPerson,
    signal_cli: FakeSignalCli,
    bot_api: FakeBotAPI,
    staff_chat: int,
) -> None:
    async with running_bot():
        await ana.send("talk")
        started = await ana.choose("Écrire à l'équipe")
        assert "/end" in started
        for typed in ("1", "0", "2"):
            await ana.send(typed)
        staff = bot_api.messages[STAFF_CHAT]
        await bot_api.wait_for(lambda: sum(m.text in {"1", "0", "2"} for m in staff.values()) == 3)
        ended = await ana.send("/end")
        assert "1 = " in ended  # the rating
        await bot_api.wait_for(lambda: any("✖" in m.text for m in staff.values()))


async def test_a_message_typed_under_the_offer_goes_to_the_team(
    running_bot: RunningBot, bot_api: FakeBotAPI, staff_chat: int
) -> None:
    eve = english_speaker(bot_api, 5550007007)
    async with running_bot():
        offer = await eve.send("/talk")
        assert "Write to the team" in offer.button_labels()[0]
        before = bot_api.activity(eve.user.id)
        bot_api.user_sends(eve.user, "he took my passport and my money")
        await bot_api.wait_for(lambda: bot_api.activity(eve.user.id) >= before + 2)
        texts = [m.text for m in bot_api.bot_messages(eve.user.id)]
        assert "The team sees you as" in texts[-1] and "Sent." in texts[-1]
        assert any("passport" in t.lower() or "112" in t for t in texts[-2:-1]), texts
        await bot_api.wait_for(
            lambda: (
                [m.text for m in copies_in(bot_api, STAFF_CHAT)]
                == ["he took my passport and my money"]
            )
        )


async def test_contact_cards_and_locations_are_refused_and_files_renamed(
    running_bot: RunningBot, bot_api: FakeBotAPI, staff_chat: int
) -> None:
    eve = english_speaker(bot_api, 5550007008)
    async with running_bot():
        await talk_to_the_team(eve, bot_api, "I'll send you something")
        refusals = []
        for fields in (
            {"contact": {"phone_number": "+32470111222", "first_name": "Marco"}},
            {"location": {"latitude": 50.41, "longitude": 4.44, "live_period": 900}},
            {"venue": {"location": {"latitude": 50.41, "longitude": 4.44},
                       "title": "Hotel", "address": "Rue X 1"}},
            {"dice": {"emoji": "🎲", "value": 3}},
        ):  # fmt: skip
            before = bot_api.activity(eve.user.id)
            bot_api.user_sends_kind(eve.user, fields)
            refusals.append((await bot_api.wait_for_activity(eve.user.id, before)).text)
        assert all("did not pass this on" in text for text in refusals[:3]), refusals
        assert "cannot pass this kind of message on" in refusals[3]

        bot_api.user_sends_document(
            eve.user, b"%PDF-1.7 letter", "Eve_Dupont_passport.pdf", "application/pdf", "the letter"
        )
        await bot_api.wait_for(
            lambda: any(m.media == "document" for m in bot_api.bot_messages(STAFF_CHAT))
        )
        document = next(m for m in bot_api.bot_messages(STAFF_CHAT) if m.media == "document")
        assert document.file_bytes == b"%PDF-1.7 letter" and document.text == "the letter"
        names = [str(params) for params in bot_api.calls_to("sendDocument")]
        assert names and not any("Dupont" in name or "+32470111222" in name for name in names)
        for method, params in bot_api.calls:
            if str(params.get("chat_id")) == str(STAFF_CHAT):
                assert "Marco" not in str(params) and "Rue X" not in str(params), method


async def test_buttons_pressed_outside_a_private_chat_are_ignored(
    running_bot: RunningBot, bot_api: FakeBotAPI, staff_chat: int
) -> None:
    eve = english_speaker(bot_api, 5550007009)
    async with running_bot() as runtime:
        menu = await eve.send("/start")
        tag = runtime.keys.button_tag("fg:yes")
        # The same signed button, pressed on a message in a group (forged, or copied there).
        in_group = ChatMessage(menu.message_id, STAFF_CHAT, True, menu.text)
        query = bot_api.user_sends_callback(eve.user, in_group, f"fg:yes|{tag}")
        update = bot_api.last_update_id
        # Handled (and confirmed to Telegram) once the bot asks for the updates after it.
        await bot_api.wait_for(lambda: max(bot_api.offsets_asked(), default=0) > update)
        key = runtime.conversation.user_key(eve.core_person())
        assert await runtime.store.load_profile(key) is not None, "not forgotten from a group"
        assert query not in bot_api.answered


async def test_a_team_reply_rings_with_a_neutral_line_in_discreet_mode(
    running_bot: RunningBot, bot_api: FakeBotAPI, staff_chat: int
) -> None:
    eve = english_speaker(bot_api, 5550007010)
    async with running_bot() as runtime:
        assert runtime.conversation.config.discreet  # the example config recommends it
        thread = await talk_to_the_team(eve, bot_api, "is the test free?")
        bot_api.staff_writes(NURSE, STAFF_CHAT, "Yes, the HIV test is free.", thread_id=thread)
        await bot_api.wait_for(lambda: len(copies_in(bot_api, eve.user.id)) == 1)
        texts = [m.text for m in bot_api.bot_messages(eve.user.id)]
        assert texts[-2:] == ["🔔 You have a new message.", "Yes, the HIV test is free."]
        copy = bot_api.calls_to("copyMessage")[-1]
        assert copy.get("disable_notification") in {True, "true"}, "only the neutral line rings"


async def test_quick_exit_on_signal_deletes_team_replies_and_reminders(
    running_bot: RunningBot,
    ana: SignalPerson,
    signal_cli: FakeSignalCli,
    bot_api: FakeBotAPI,
    staff_chat: int,
    clock: FakeClock,
) -> None:
    async with running_bot() as runtime:
        await ana.send("talk")
        await ana.choose("Écrire à l'équipe")
        await ana.send("bonjour")
        staff = bot_api.messages[STAFF_CHAT]
        await bot_api.wait_for(lambda: any(m.text == "bonjour" for m in staff.values()))
        thread = next(m.thread_id for m in staff.values() if m.text == "bonjour")
        assert thread is not None
        bot_api.staff_writes(NURSE, STAFF_CHAT, "Bonjour, ici Claire.", thread_id=thread)
        await signal_cli.wait_for(lambda: any("ici Claire" in m.text for m in ana.inbox))
        reply = next(m for m in ana.inbox if "ici Claire" in m.text)

        await ana.send("/clear")
        deleted = {stamp for _uuid, stamp in signal_cli.deleted}
        assert reply.timestamp in deleted, "the team's reply is deleted for both sides"
        assert all(m.timestamp in deleted for m in ana.inbox[:-1]), (
            "everything before the explanation"
        )
        key = runtime.conversation.user_key(ana.core_person())
        profile = await runtime.store.load_profile(key)
        assert profile is not None and profile.state.get("exited")


async def test_forget_deletes_the_topic_where_the_organisation_chose_so(
    running_bot: RunningBot,
    bot_api: FakeBotAPI,
    staff_chat: int,
    env: dict[str, str],
    tmp_path: Path,
) -> None:
    config = yaml.safe_load((ROOT / "config.example.yaml").read_text())
    config["staff"]["delete_forgotten_topics"] = True
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True))
    env["BOT_CONFIG"] = str(path)
    eve = english_speaker(bot_api, 5550007011)
    async with running_bot():
        thread = await talk_to_the_team(eve, bot_api, "please forget me")
        question = await eve.send("/forget")
        await eve.tap(question, "Yes, delete everything")
        await bot_api.wait_for(lambda: thread not in bot_api.topics[STAFF_CHAT])
        assert not in_topic(bot_api, thread), "deleted with everything in it"
