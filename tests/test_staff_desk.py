"""The staff group's desk: topics staff close or delete by hand, and blocking a person."""

from __future__ import annotations

from datetime import timedelta

from tests.booking_helpers import ENGLISH, book_rapid_test, staff_notice
from tests.conftest import STAFF_CHAT, FakeClock, RunningBot, TelegramPerson
from tests.fakes.bot_api import FakeBotAPI, FakeUser
from tests.test_talk import NURSE, _staff, copies_in, open_conversation

BLOCKED = "The team cannot receive your messages for now."


def person(user_id: int) -> FakeUser:
    return FakeUser(id=user_id, first_name="Florentina", username=None, language_code="en")


async def handled(api: FakeBotAPI) -> None:
    """Waits until the bot confirmed every update so far (it confirms once handled)."""
    last = api.last_update_id
    await api.wait_for(lambda: max(api.offsets_asked(), default=0) > last)


async def test_booking_notices_survive_a_closed_or_deleted_appointments_topic(
    running_bot: RunningBot, bot_api: FakeBotAPI, staff_chat: int
) -> None:
    ana = TelegramPerson(bot_api, person(5550008001))
    async with running_bot() as runtime:
        await ana.send("/start")
        known = await runtime.store.setting("telegram_bookings_thread")
        assert known is not None
        thread = int(known)
        bot_api.staff_closes_topic(NURSE, STAFF_CHAT, thread)
        await handled(bot_api)
        code, _booked = await book_rapid_test(ana, ENGLISH)
        notice = await staff_notice(bot_api, code)
        assert notice.thread_id == thread
        assert thread not in bot_api.closed_topics[STAFF_CHAT]  # reopened for the team

        # Deleted by hand: a new appointments topic, and the next notice in it.
        bot_api.staff_deletes_topic(NURSE, STAFF_CHAT, thread)
        mine = await ana.send("/appointments")
        details = await ana.tap(mine, code)
        question = await ana.tap(details, "Cancel it")
        await ana.tap(question, "Yes, cancel it")
        cancelled = await staff_notice(bot_api, "Rendez-vous annulé")
        assert cancelled.thread_id not in (None, thread)
        assert bot_api.topics[STAFF_CHAT][cancelled.thread_id] == "Rendez-vous"  # type: ignore[index]
        assert await runtime.store.setting("telegram_bookings_thread") == str(cancelled.thread_id)


async def test_a_deleted_conversation_topic_is_made_again_with_its_summary(
    running_bot: RunningBot, bot_api: FakeBotAPI, staff_chat: int
) -> None:
    ana = TelegramPerson(bot_api, person(5550008002))
    async with running_bot():
        started = await open_conversation(ana)
        pseudonym = started.text.split("The team sees you as ")[1].rstrip(".")
        bot_api.user_sends(ana.user, "first")
        await bot_api.wait_for(lambda: len(copies_in(bot_api, STAFF_CHAT)) == 1)
        old = copies_in(bot_api, STAFF_CHAT)[0].thread_id
        assert old is not None
        bot_api.staff_deletes_topic(NURSE, STAFF_CHAT, old)
        bot_api.user_sends(ana.user, "are you still there?")
        await bot_api.wait_for(lambda: len(copies_in(bot_api, STAFF_CHAT)) == 1)
        copy = copies_in(bot_api, STAFF_CHAT)[0]
        assert copy.text == "are you still there?"
        assert copy.thread_id not in (None, old)
        topic = [m for m in bot_api.bot_messages(STAFF_CHAT) if m.thread_id == copy.thread_id]
        assert f"Nouvelle conversation avec {pseudonym}" in topic[0].text
        assert bot_api.topics[STAFF_CHAT][copy.thread_id].startswith(pseudonym)  # type: ignore[index]
        # Staff answer in the new topic, and it reaches the person.
        bot_api.staff_writes(NURSE, STAFF_CHAT, "Yes, we are here.", thread_id=copy.thread_id)
        await bot_api.wait_for(lambda: len(copies_in(bot_api, ana.user.id)) == 1)


async def test_a_topic_closed_by_hand_opens_again_when_the_person_writes(
    running_bot: RunningBot, bot_api: FakeBotAPI, staff_chat: int
) -> None:
    ana = TelegramPerson(bot_api, person(5550008003))
    async with running_bot():
        await open_conversation(ana)
        bot_api.user_sends(ana.user, "first")
        await bot_api.wait_for(lambda: len(copies_in(bot_api, STAFF_CHAT)) == 1)
        thread = copies_in(bot_api, STAFF_CHAT)[0].thread_id
        assert thread is not None
        bot_api.staff_closes_topic(NURSE, STAFF_CHAT, thread)
        await handled(bot_api)
        bot_api.user_sends(ana.user, "second")
        await bot_api.wait_for(lambda: len(copies_in(bot_api, STAFF_CHAT)) == 2)
    assert copies_in(bot_api, STAFF_CHAT)[1].thread_id == thread
    assert thread not in bot_api.closed_topics[STAFF_CHAT]
    # The service message "topic closed" was not relayed to the person as a message.
    assert not copies_in(bot_api, ana.user.id)


async def test_staff_block_a_person_for_a_while(
    running_bot: RunningBot, bot_api: FakeBotAPI, staff_chat: int, clock: FakeClock
) -> None:
    ana = TelegramPerson(bot_api, person(5550008004))
    async with running_bot() as runtime:
        started = await open_conversation(ana)
        pseudonym = started.text.split("The team sees you as ")[1].rstrip(".")
        bot_api.user_sends(ana.user, "first")
        await bot_api.wait_for(lambda: len(copies_in(bot_api, STAFF_CHAT)) == 1)
        thread = copies_in(bot_api, STAFF_CHAT)[0].thread_id
        answer = await _staff(bot_api, "/block", thread_id=thread)
        assert answer.startswith("⛔") and pseudonym in answer

        told = await ana.send("hello? why no answer")
        assert BLOCKED in told.text and "112" in told.text
        before = len(bot_api.bot_messages(ana.user.id))
        # Told once, not at every message; a disclosure still gets the urgent steps.
        steps = await ana.send("he is going to kill me, he is outside")
        assert steps.text.startswith("⚠️ Violence")
        assert len(bot_api.bot_messages(ana.user.id)) == before + 1
        assert BLOCKED not in steps.text
        assert len(copies_in(bot_api, STAFF_CHAT)) == 1
        assert await runtime.store.outbox_size() == 0

        answer = await _staff(bot_api, "/unblock", thread_id=thread)
        assert answer.startswith("✓") and pseudonym in answer
        bot_api.user_sends(ana.user, "back again")
        await bot_api.wait_for(lambda: copies_in(bot_api, STAFF_CHAT)[-1].text == "back again")

        # A block ends by itself.
        assert (await _staff(bot_api, "/block 2", thread_id=thread)).startswith("⛔")
        assert BLOCKED in (await ana.send("still blocked?")).text
        clock.now += timedelta(days=2, minutes=1)
        bot_api.user_sends(ana.user, "two days later")
        await bot_api.wait_for(lambda: copies_in(bot_api, STAFF_CHAT)[-1].text == "two days later")
        refused = await _staff(bot_api, "/block soon", thread_id=thread)
        assert "Indiquez un nombre de jours" in refused
