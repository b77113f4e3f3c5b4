"""Talking to a person: the anonymous relay between a person and the staff group."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.conftest import STAFF_CHAT, RunningBot, TelegramPerson
from tests.fakes.bot_api import ChatMessage, FakeBotAPI, FakeUser

NURSE = FakeUser(id=5550000042, first_name="Claire", username="claire_nurse", language_code="fr")


def copies_in(api: FakeBotAPI, chat_id: int) -> list[ChatMessage]:
    return [m for m in api.bot_messages(chat_id) if m.copied_from is not None]


async def open_conversation(person: TelegramPerson) -> ChatMessage:
    menu = await person.send("/start")
    topic = await person.tap(menu, "PEP")
    offer = await person.tap(topic, "Talk to a person")
    assert "The team will see a nickname made up for you" in offer.text
    assert "never sees your name" in offer.text
    return await person.tap(offer, "Write to the team")


def nothing_identifying_reached_staff(api: FakeBotAPI, person: FakeUser) -> None:
    secrets = [str(person.id), person.first_name, person.username or "\\0"]
    for method, params in api.calls:
        if str(params.get("chat_id")) != str(STAFF_CHAT):
            continue
        sent = str({k: v for k, v in params.items() if k != "from_chat_id"})
        for secret in secrets:
            assert secret not in sent, f"{method} to staff contains {secret!r}"


def nothing_of_staff_reached_person(
    api: FakeBotAPI, person: FakeUser, signed: tuple[str, ...] = ()
) -> None:
    """No staff name reaches the person, except in the replies a staff member chose to sign."""
    for method, params in api.calls:
        if str(params.get("chat_id")) == str(person.id):
            sent = str(params)
            assert "claire_nurse" not in sent, method
            if "Claire" in sent:
                assert any(text in sent for text in signed), method


async def test_a_conversation_in_a_forum_staff_group(
    running_bot: RunningBot, bot_api: FakeBotAPI, staff_chat: int
) -> None:
    ana = TelegramPerson(
        bot_api,
        FakeUser(id=5550004321, first_name="Florentina", username="ana_w", language_code="en"),
    )
    async with running_bot() as runtime:
        started = await open_conversation(ana)
        pseudonym = started.text.split("The team sees you as ")[1].rstrip(".")
        bot_api.user_sends(ana.user, "my landlord threatens to throw me out")
        await bot_api.wait_for(lambda: len(copies_in(bot_api, STAFF_CHAT)) == 1)
        copy = copies_in(bot_api, STAFF_CHAT)[0]
        assert copy.text == "my landlord threatens to throw me out"
        topic_name = bot_api.topics[STAFF_CHAT][copy.thread_id]  # type: ignore[index]
        assert topic_name == f"{pseudonym} · EN · 🚨 TPE – après un risque"
        summary = next(m for m in bot_api.bot_messages(STAFF_CHAT) if m.thread_id == copy.thread_id)
        assert f"Nouvelle conversation avec {pseudonym}" in summary.text

        # Media both ways, staff replying in the topic.
        for kind in ("photo", "voice", "document", "sticker"):
            bot_api.user_sends_media(
                ana.user, kind, caption="the letter" if kind == "photo" else ""
            )
        await bot_api.wait_for(lambda: len(copies_in(bot_api, STAFF_CHAT)) == 4)
        kinds = [m.media for m in copies_in(bot_api, STAFF_CHAT)]
        assert kinds == [None, "photo", "voice", "sticker"]
        # A file is sent again under a neutral name: its own name could be a real name.
        await bot_api.wait_for(
            lambda: any(m.media == "document" for m in bot_api.bot_messages(STAFF_CHAT))
        )
        document = next(m for m in bot_api.bot_messages(STAFF_CHAT) if m.media == "document")
        assert document.file_bytes == b"%PDF-1.4 a scanned letter"
        assert "scan.pdf" not in str(bot_api.calls_to("sendDocument"))
        bot_api.staff_writes(
            NURSE, STAFF_CHAT, "We can help. Come on Monday.", thread_id=copy.thread_id
        )
        await bot_api.wait_for(lambda: len(copies_in(bot_api, ana.user.id)) == 1)
        assert copies_in(bot_api, ana.user.id)[0].text == "We can help. Come on Monday."

        # The person corrects a message: the team's copy follows.
        first_id = max(
            m.message_id
            for m in bot_api.messages[ana.user.id].values()
            if m.text.startswith("my landlord")
        )
        bot_api.user_edits(ana.user, first_id, "my landlord wants me out by Friday")
        await bot_api.wait_for(lambda: copy.text == "my landlord wants me out by Friday")

        # Official wording in the person's language, and a signed reply.
        sent = await _staff(bot_api, "/send pep", thread_id=copy.thread_id)
        assert f"Envoyé à {pseudonym}" in sent
        await bot_api.wait_for(
            lambda: "PEP: emergency treatment" in bot_api.last_bot_message(ana.user.id).text
        )
        signed = await _staff(bot_api, "/signature Claire", thread_id=copy.thread_id)
        assert "— Claire" in signed
        bot_api.staff_writes(NURSE, STAFF_CHAT, "See you Monday.", thread_id=copy.thread_id)
        await bot_api.wait_for(
            lambda: bot_api.last_bot_message(ana.user.id).text == "See you Monday.\n\n— Claire"
        )
        await _staff(bot_api, "/signature", thread_id=copy.thread_id)

        tickets = await _staff(bot_api, "/tickets")
        assert pseudonym in tickets and "répondu" in tickets

        before = bot_api.activity(ana.user.id)
        bot_api.staff_writes(NURSE, STAFF_CHAT, "/close", thread_id=copy.thread_id)
        prompt = await bot_api.wait_for_activity(ana.user.id, before)
        assert "The team closed this conversation." in prompt.text
        assert copy.thread_id in bot_api.closed_topics[STAFF_CHAT]
        thanks = await ana.tap(prompt, "5")
        assert "Thank you." in thanks.text
        ticket = await runtime.store.latest_ticket_for(
            runtime.conversation.user_key(ana.core_person())
        )
        assert ticket is not None and ticket.rating == 5 and ticket.status == "closed"

        # Writing again soon after: the same conversation, its topic reopened.
        offer = await ana.send("/talk")
        again = await ana.tap(offer, "Write to the team")
        assert f"The team sees you as {pseudonym}." in again.text
        bot_api.user_sends(ana.user, "one more thing")
        await bot_api.wait_for(lambda: copies_in(bot_api, STAFF_CHAT)[-1].text == "one more thing")
        assert copies_in(bot_api, STAFF_CHAT)[-1].thread_id == copy.thread_id
        assert copy.thread_id not in bot_api.closed_topics[STAFF_CHAT]
        assert any(
            f"{pseudonym} écrit à nouveau." in m.text for m in bot_api.bot_messages(STAFF_CHAT)
        )
    nothing_identifying_reached_staff(bot_api, ana.user)
    nothing_of_staff_reached_person(bot_api, ana.user, signed=("See you Monday.",))
    assert not bot_api.calls_to("forwardMessage")


async def _staff(api: FakeBotAPI, text: str, **where: Any) -> str:
    before = len(api.bot_messages(STAFF_CHAT))
    api.staff_writes(NURSE, STAFF_CHAT, text, **where)
    await api.wait_for(lambda: len(api.bot_messages(STAFF_CHAT)) > before)
    return api.bot_messages(STAFF_CHAT)[-1].text


async def test_a_conversation_in_a_group_without_topics(
    running_bot: RunningBot, bot_api: FakeBotAPI, env: dict[str, str]
) -> None:
    bot_api.open_group_chat(STAFF_CHAT, "Team", forum=False)
    env["TELEGRAM_STAFF_CHAT_ID"] = str(STAFF_CHAT)
    ana = TelegramPerson(
        bot_api, FakeUser(id=5550004322, first_name="Florentina", username=None, language_code="en")
    )
    async with running_bot():
        started = await open_conversation(ana)
        pseudonym = started.text.split("The team sees you as ")[1].rstrip(".")
        bot_api.user_sends(ana.user, "hello?")
        await bot_api.wait_for(lambda: len(copies_in(bot_api, STAFF_CHAT)) == 1)
        copy = copies_in(bot_api, STAFF_CHAT)[0]
        header = bot_api.messages[STAFF_CHAT][copy.reply_to]  # type: ignore[index]
        assert header.text == f"💬 {pseudonym} · EN"
        bot_api.staff_writes(NURSE, STAFF_CHAT, "Hello, I am here.", reply_to=copy.message_id)
        await bot_api.wait_for(lambda: len(copies_in(bot_api, ana.user.id)) == 1)
        bot_api.staff_writes(NURSE, STAFF_CHAT, "Not for anyone")  # no reply, no topic: ignored
        bot_api.staff_writes(NURSE, STAFF_CHAT, "Also this", reply_to=header.message_id)
        await bot_api.wait_for(lambda: len(copies_in(bot_api, ana.user.id)) == 2)
    assert [m.text for m in copies_in(bot_api, ana.user.id)] == ["Hello, I am here.", "Also this"]
    nothing_identifying_reached_staff(bot_api, ana.user)


async def test_nothing_lost_or_doubled_across_errors_and_a_restart(
    running_bot: RunningBot, bot_api: FakeBotAPI, staff_chat: int
) -> None:
    ana = TelegramPerson(
        bot_api, FakeUser(id=5550004323, first_name="Florentina", username=None, language_code="en")
    )
    async with running_bot() as runtime:
        await open_conversation(ana)
        # The staff side fails: a server error now, flood control after the restart.
        bot_api.failures["createForumTopic"] = [(500, None)]
        topics_asked = len(bot_api.calls_to("createForumTopic"))
        bot_api.user_sends(ana.user, "first")
        await bot_api.wait_for(lambda: len(bot_api.calls_to("createForumTopic")) > topics_asked)
        assert await runtime.store.outbox_size() == 1
    # Restarted with the message still only in the outbox.
    bot_api.failures["copyMessage"] = [(429, 1)]
    async with running_bot() as runtime:
        await runtime.store.postpone_all_now()  # do not wait for the back-off in the test
        bot_api.user_sends(ana.user, "second")
        await bot_api.wait_for(lambda: len(copies_in(bot_api, STAFF_CHAT)) == 2, timeout=20)
        for _ in range(50):  # the row is deleted right after the send returns
            if await runtime.store.outbox_size() == 0:
                break
            await asyncio.sleep(0.05)
        assert await runtime.store.outbox_size() == 0
    assert [m.text for m in copies_in(bot_api, STAFF_CHAT)] == ["first", "second"]
    assert len(bot_api.topics[STAFF_CHAT]) == 2  # the appointments topic and this conversation


async def test_a_burst_of_fifty_messages_makes_one_topic_in_order(
    running_bot: RunningBot, bot_api: FakeBotAPI, staff_chat: int
) -> None:
    ana = TelegramPerson(
        bot_api, FakeUser(id=5550004324, first_name="Florentina", username=None, language_code="en")
    )
    async with running_bot():
        await open_conversation(ana)
        for n in range(50):
            bot_api.user_sends(ana.user, f"message {n}")
        await bot_api.wait_for(lambda: len(copies_in(bot_api, STAFF_CHAT)) == 50, timeout=60)
    assert [m.text for m in copies_in(bot_api, STAFF_CHAT)] == [f"message {n}" for n in range(50)]
    assert len({m.thread_id for m in copies_in(bot_api, STAFF_CHAT)}) == 1
    assert len(bot_api.calls_to("createForumTopic")) == 2  # appointments + this conversation


async def test_staff_commands_do_nothing_outside_the_staff_chat(
    running_bot: RunningBot, bot_api: FakeBotAPI, staff_chat: int
) -> None:
    stranger = FakeUser(id=5550009876, first_name="X", username="x", language_code="en")
    async with running_bot():
        bot_api.group_message(stranger, -100999, "/tickets")
        await bot_api.wait_for(lambda: -100999 in bot_api.left_chats)
        bot_api.group_message(stranger, -100999, "/close")
    assert not [p for p in bot_api.calls_to("sendMessage") if str(p["chat_id"]) == "-100999"]


async def test_the_staff_group_is_checked_at_start_up(
    running_bot: RunningBot, bot_api: FakeBotAPI, env: dict[str, str], caplog: Any
) -> None:
    bot_api.open_group_chat(STAFF_CHAT, "Team", forum=False, bot_admin=False)
    env["TELEGRAM_STAFF_CHAT_ID"] = str(STAFF_CHAT)
    async with running_bot():
        pass
    messages = " ".join(r.getMessage() for r in caplog.records)
    assert "staff_chat_bot_not_admin" in messages
    assert "staff_chat_without_topics" in messages
    env["TELEGRAM_STAFF_CHAT_ID"] = "-100777"  # a group the bot is not in
    async with running_bot():
        pass
    assert "staff_chat_unreachable" in " ".join(r.getMessage() for r in caplog.records)


async def test_a_disclosure_to_the_team_also_gets_the_urgent_steps(
    running_bot: RunningBot, bot_api: FakeBotAPI, staff_chat: int
) -> None:
    """The team may be closed or busy: the message goes to the team, and the steps come now."""
    ana = TelegramPerson(
        bot_api, FakeUser(id=5550004999, first_name="Ilinca", username=None, language_code="en")
    )
    async with running_bot():
        await open_conversation(ana)
        before = len(bot_api.bot_messages(ana.user.id))
        await ana.send("he is going to kill me, he is outside")
        await bot_api.wait_for(lambda: len(bot_api.bot_messages(ana.user.id)) == before + 2)
        await bot_api.wait_for(lambda: len(copies_in(bot_api, STAFF_CHAT)) == 1)
        steps, sent = [m.text for m in bot_api.bot_messages(ana.user.id)][-2:]
        assert steps.startswith("⚠️ Violence"), steps
        assert sent.startswith("Sent")
        later = await ana.send("and the condom broke")
        assert later.text.startswith("⚠️ PEP"), later.text
        await bot_api.wait_for(lambda: len(copies_in(bot_api, STAFF_CHAT)) == 2)
