"""The relay at its limits: long texts and captions, what cannot be delivered, an item that
keeps failing, and a flood that must not take the staff group's whole budget."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from bot.relay import MAX_ATTEMPTS, StaffPace
from tests.conftest import STAFF_CHAT, FakeClock, RunningBot, SignalPerson, TelegramPerson
from tests.fakes.bot_api import ChatMessage, FakeBotAPI, FakeUser
from tests.test_signal import PHOTO
from tests.test_talk import NURSE, copies_in, open_conversation

NOT_DELIVERED = "A message could not be delivered to the team."


def person(user_id: int) -> FakeUser:
    return FakeUser(id=user_id, first_name="Florentina", username=None, language_code="en")


def in_topic(api: FakeBotAPI, thread: int | None) -> list[ChatMessage]:
    return [m for m in api.bot_messages(STAFF_CHAT) if m.thread_id == thread]


def long_text(paragraphs: int, words: int) -> str:
    return "\n\n".join(f"Part {n}: " + " ".join(["word"] * words) for n in range(paragraphs))


def same_words(pieces: list[str], text: str) -> bool:
    return " ".join(pieces).split() == text.split()


async def talk_on_signal(ana: SignalPerson) -> None:
    await ana.send("bonjour")
    await ana.send("talk")
    await ana.choose("Écrire à l'équipe")


async def test_a_long_signal_message_reaches_the_team_whole_in_pieces(
    running_bot: RunningBot, ana: SignalPerson, bot_api: FakeBotAPI, staff_chat: int
) -> None:
    text = long_text(paragraphs=8, words=300)  # about 12,000 characters
    async with running_bot():
        await talk_on_signal(ana)
        await ana.send(text)
        await bot_api.wait_for(
            lambda: any("Part 7:" in m.text for m in bot_api.bot_messages(STAFF_CHAT))
        )
    thread = next(m.thread_id for m in bot_api.bot_messages(STAFF_CHAT) if "Part 0:" in m.text)
    pieces = [m.text for m in in_topic(bot_api, thread) if m.text.startswith("Part")]
    assert len(pieces) > 2 and all(len(piece) <= 4096 for piece in pieces)
    assert same_words(pieces, text)


async def test_a_caption_too_long_for_telegram_comes_as_text_then_the_photo(
    running_bot: RunningBot, ana: SignalPerson, bot_api: FakeBotAPI, staff_chat: int
) -> None:
    caption = long_text(paragraphs=2, words=250)  # about 2,500 characters
    async with running_bot():
        await talk_on_signal(ana)
        await ana.send(caption, [("image/png", "rash.png", PHOTO)])
        await bot_api.wait_for(
            lambda: any(m.media == "photo" for m in bot_api.bot_messages(STAFF_CHAT))
        )
    photo = next(m for m in bot_api.bot_messages(STAFF_CHAT) if m.media == "photo")
    topic = in_topic(bot_api, photo.thread_id)
    texts = [m.text for m in topic if m.media is None and m.text.startswith("Part")]
    assert same_words(texts, caption)
    assert topic[-1] is photo and photo.file_bytes == PHOTO and photo.text == ""


async def test_a_premium_caption_is_copied_in_a_group_without_topics(
    running_bot: RunningBot, bot_api: FakeBotAPI, env: dict[str, str]
) -> None:
    bot_api.open_group_chat(STAFF_CHAT, "Team", forum=False)
    env["TELEGRAM_STAFF_CHAT_ID"] = str(STAFF_CHAT)
    ana = TelegramPerson(bot_api, person(5550006001))
    caption = long_text(paragraphs=1, words=300)  # 1,500 characters: Telegram Premium
    async with running_bot():
        await open_conversation(ana)
        bot_api.user_sends_media(ana.user, "photo", caption=caption)
        await bot_api.wait_for(lambda: len(copies_in(bot_api, STAFF_CHAT)) == 1)
    copy = copies_in(bot_api, STAFF_CHAT)[0]
    assert copy.media == "photo" and copy.text == caption


async def test_what_cannot_reach_the_team_is_told_to_both_sides(
    running_bot: RunningBot, bot_api: FakeBotAPI, staff_chat: int
) -> None:
    ana = TelegramPerson(bot_api, person(5550006002))
    async with running_bot() as runtime:
        started = await open_conversation(ana)
        pseudonym = started.text.split("The team sees you as ")[1].rstrip(".")
        bot_api.user_sends(ana.user, "first")
        await bot_api.wait_for(lambda: len(copies_in(bot_api, STAFF_CHAT)) == 1)
        thread = copies_in(bot_api, STAFF_CHAT)[0].thread_id
        # The group fails for a moment; meanwhile the person deletes what they sent.
        bot_api.failures["copyMessage"] = [(500, None)]
        message_id = bot_api.user_sends(ana.user, "second, deleted before it was relayed")
        await bot_api.wait_for(lambda: not bot_api.failures["copyMessage"])
        bot_api.user_deletes(ana.user, message_id)
        await runtime.store.postpone_all_now()
        await bot_api.wait_for(lambda: NOT_DELIVERED in bot_api.last_bot_message(ana.user.id).text)
        await bot_api.wait_for(
            lambda: any(m.text.startswith("⚠️") for m in in_topic(bot_api, thread))
        )
        notice = next(m for m in in_topic(bot_api, thread) if m.text.startswith("⚠️"))
        assert pseudonym in notice.text


async def test_a_reply_that_cannot_reach_the_person_is_told_to_the_team(
    running_bot: RunningBot, bot_api: FakeBotAPI, staff_chat: int
) -> None:
    ana = TelegramPerson(bot_api, person(5550006003))
    async with running_bot():
        started = await open_conversation(ana)
        pseudonym = started.text.split("The team sees you as ")[1].rstrip(".")
        bot_api.user_sends(ana.user, "hello")
        await bot_api.wait_for(lambda: len(copies_in(bot_api, STAFF_CHAT)) == 1)
        thread = copies_in(bot_api, STAFF_CHAT)[0].thread_id
        bot_api.user_blocks_bot(ana.user)
        bot_api.staff_writes(NURSE, STAFF_CHAT, "Are you safe?", thread_id=thread)
        await bot_api.wait_for(
            lambda: any(m.text.startswith("⚠️") for m in in_topic(bot_api, thread))
        )
    notice = next(m for m in in_topic(bot_api, thread) if m.text.startswith("⚠️"))
    assert pseudonym in notice.text
    assert not copies_in(bot_api, ana.user.id)


async def test_an_item_that_keeps_failing_is_given_up_and_the_next_ones_go(
    running_bot: RunningBot, bot_api: FakeBotAPI, staff_chat: int
) -> None:
    ana = TelegramPerson(bot_api, person(5550006004))
    async with running_bot() as runtime:
        await open_conversation(ana)
        bot_api.user_sends(ana.user, "first")
        await bot_api.wait_for(lambda: len(copies_in(bot_api, STAFF_CHAT)) == 1)
        copies_before = len(bot_api.calls_to("copyMessage"))
        bot_api.failures["copyMessage"] = [(500, None)] * (MAX_ATTEMPTS + 5)
        bot_api.user_sends(ana.user, "poison")
        for attempt in range(1, MAX_ATTEMPTS + 1):
            await bot_api.wait_for(
                lambda n=attempt: len(bot_api.calls_to("copyMessage")) - copies_before >= n
            )
            await runtime.store.postpone_all_now()  # the back-off, without waiting for it
        await bot_api.wait_for(lambda: NOT_DELIVERED in bot_api.last_bot_message(ana.user.id).text)
        assert len(bot_api.calls_to("copyMessage")) - copies_before == MAX_ATTEMPTS
        bot_api.failures["copyMessage"].clear()
        bot_api.user_sends(ana.user, "after")
        await bot_api.wait_for(lambda: copies_in(bot_api, STAFF_CHAT)[-1].text == "after")
    assert [m.text for m in copies_in(bot_api, STAFF_CHAT)] == ["first", "after"]


async def test_a_flood_is_paced_and_another_person_gets_through_meanwhile(
    running_bot: RunningBot,
    bot_api: FakeBotAPI,
    staff_chat: int,
    clock: FakeClock,
    channels: dict,
) -> None:
    flood = TelegramPerson(bot_api, person(5550006005))
    other = TelegramPerson(bot_api, person(5550006006))
    async with running_bot() as runtime:
        channels["telegram"].relay.pace = StaffPace(per_minute=10, burst=3)
        await open_conversation(flood)
        await open_conversation(other)
        for n in range(8):
            bot_api.user_sends(flood.user, f"flood {n}")
        await bot_api.wait_for(lambda: len(copies_in(bot_api, STAFF_CHAT)) == 3)
        await other.send("I need help with a letter")
        await bot_api.wait_for(
            lambda: any(m.text.startswith("I need help") for m in copies_in(bot_api, STAFF_CHAT))
        )
        # The other person's message came through; the flood waits, kept, not dropped.
        flooded = [m.text for m in copies_in(bot_api, STAFF_CHAT) if m.text.startswith("flood")]
        assert flooded == ["flood 0", "flood 1", "flood 2"]
        for _ in range(50):  # the other's row is deleted right after its send returns
            if await runtime.store.outbox_size() == 5:
                break
            await asyncio.sleep(0.05)
        assert await runtime.store.outbox_size() == 5
        # A minute later the flood goes on, a burst at a time, in order.
        for expected in (7, 9):
            clock.now += timedelta(minutes=1)
            runtime.store.outbox_changed.set()
            await bot_api.wait_for(lambda n=expected: len(copies_in(bot_api, STAFF_CHAT)) == n)
            for _ in range(50):  # until the rest waits for the next minute again
                if not await runtime.store.tickets_with_pending(clock.now):
                    break
                await asyncio.sleep(0.05)
            assert len(copies_in(bot_api, STAFF_CHAT)) == expected
    flooded = [m.text for m in copies_in(bot_api, STAFF_CHAT) if m.text.startswith("flood")]
    assert flooded == [f"flood {n}" for n in range(8)]
