"""The Telegram Bot API as it really answers: migrations, error texts as python-telegram-bot
presents them, partial deletions, uploads too large, messages that cannot be copied."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

from tests.conftest import STAFF_CHAT, FakeClock, RunningBot, SignalPerson, TelegramPerson
from tests.fakes.bot_api import FakeBotAPI, FakeUser
from tests.test_relay_limits import talk_on_signal
from tests.test_staff_desk import handled
from tests.test_talk import NURSE, copies_in, open_conversation

BASIC_GROUP = -4001234500  # a basic group: what a new Telegram group is
UPGRADED = -1009876543210  # the supergroup it becomes when topics are turned on
NOT_SENT = "Non envoyé"
NOT_DELIVERED = "Un message n'a pas pu être transmis à l'équipe."


def someone(api: FakeBotAPI, user_id: int) -> TelegramPerson:
    return TelegramPerson(
        api, FakeUser(id=user_id, first_name="Rodica", username=None, language_code="en")
    )


async def test_the_staff_group_is_followed_when_turning_topics_on_makes_it_a_supergroup(
    running_bot: RunningBot, bot_api: FakeBotAPI, env: dict[str, str], caplog: Any
) -> None:
    bot_api.open_group_chat(BASIC_GROUP, "Team", basic=True)
    env["TELEGRAM_STAFF_CHAT_ID"] = str(BASIC_GROUP)
    rodica = someone(bot_api, 5550014001)
    async with running_bot():
        assert "staff_chat_basic_group" in caplog.text
        await open_conversation(rodica)
        bot_api.user_sends(rodica.user, "first")
        await bot_api.wait_for(lambda: len(copies_in(bot_api, BASIC_GROUP)) == 1)

        # Staff turn topics on, as the bot's start-up warning asks them to.
        bot_api.staff_enables_topics(NURSE, BASIC_GROUP, UPGRADED)
        await handled(bot_api)
        bot_api.user_sends(rodica.user, "second")
        await bot_api.wait_for(lambda: len(copies_in(bot_api, UPGRADED)) == 1)
        copy = copies_in(bot_api, UPGRADED)[0]
        assert copy.text == "second"
        assert copy.thread_id in bot_api.topics[UPGRADED]  # one topic per conversation now
        bot_api.staff_writes(NURSE, UPGRADED, "We read you.", thread_id=copy.thread_id)
        await bot_api.wait_for(lambda: len(copies_in(bot_api, rodica.user.id)) == 1)
    assert UPGRADED not in bot_api.left_chats
    assert "Rendez-vous" in bot_api.topics[UPGRADED].values()

    # A restart with the old id in the settings still finds the group.
    async with running_bot():
        bot_api.user_sends(rodica.user, "third")
        await bot_api.wait_for(lambda: len(copies_in(bot_api, UPGRADED)) == 2)
    assert UPGRADED not in bot_api.left_chats


async def test_a_migration_missed_while_the_bot_was_stopped_is_followed_at_start(
    running_bot: RunningBot, bot_api: FakeBotAPI, env: dict[str, str]
) -> None:
    bot_api.open_group_chat(BASIC_GROUP, "Team", basic=True)
    env["TELEGRAM_STAFF_CHAT_ID"] = str(BASIC_GROUP)
    bot_api.staff_enables_topics(NURSE, BASIC_GROUP, UPGRADED)
    bot_api._updates.clear()  # the service messages were confirmed by an earlier run
    rodica = someone(bot_api, 5550014002)
    async with running_bot():
        await open_conversation(rodica)
        bot_api.user_sends(rodica.user, "hello")
        await bot_api.wait_for(lambda: len(copies_in(bot_api, UPGRADED)) == 1)
    assert UPGRADED not in bot_api.left_chats


async def test_quick_exit_deletes_what_telegram_lets_it_and_says_when_some_is_left(
    running_bot: RunningBot, bot_api: FakeBotAPI, clock: FakeClock
) -> None:
    """Telegram refuses a whole deleteMessages batch for one message it may not delete (a dice
    under a day old, one just past 48 hours): the rest is still deleted."""
    eve = someone(bot_api, 5550014003)
    chat = eve.user.id
    async with running_bot():
        await eve.send("/start")
        await eve.send("my period is late")
        # Nearly two days later for the bot; just past the limit by the time Telegram checks.
        clock.now += timedelta(hours=47, minutes=30)
        bot_api.time_passes(chat, 48.1)
        old = set(bot_api.messages[chat])
        dice = bot_api.user_sends_kind(eve.user, {"dice": {"emoji": "🎲", "value": 3}})
        await bot_api.wait_for(lambda: len(bot_api.messages[chat]) == len(old) + 2)
        recent = set(bot_api.messages[chat]) - old - {dice}
        assert recent  # the bot's answer to the dice
        await eve.send("/clear")
    left = set(bot_api.messages[chat])
    assert not (recent & left)  # what could be deleted was
    assert dice in left and old <= left
    last = bot_api.last_bot_message(chat)
    assert last.text.startswith("👋")
    assert "Some messages could not be deleted: delete this chat in Telegram too." in last.text


async def test_a_pin_or_a_timer_change_is_not_relayed_nor_answered(
    running_bot: RunningBot, bot_api: FakeBotAPI, staff_chat: int
) -> None:
    """Service messages cannot be copied: relayed, they would fail after "Sent"."""
    rodica = someone(bot_api, 5550014004)
    async with running_bot():
        await open_conversation(rodica)
        first = bot_api.user_sends(rodica.user, "first")
        await bot_api.wait_for(lambda: len(copies_in(bot_api, STAFF_CHAT)) == 1)
        before = len(bot_api.bot_messages(rodica.user.id))
        bot_api.service_message(rodica.user, rodica.user.id, bot_api.pinned(rodica.user.id, first))
        bot_api.service_message(
            rodica.user, rodica.user.id, {"message_auto_delete_timer_changed": {
                "message_auto_delete_time": 86400}},
        )  # fmt: skip
        bot_api.user_sends(rodica.user, "second")
        await bot_api.wait_for(lambda: len(copies_in(bot_api, STAFF_CHAT)) == 2)
        await handled(bot_api)
    assert [m.text for m in copies_in(bot_api, STAFF_CHAT)] == ["first", "second"]
    assert len(bot_api.bot_messages(rodica.user.id)) == before
    assert not any(m.text.startswith("⚠️") for m in bot_api.bot_messages(STAFF_CHAT))


async def test_staff_content_a_person_cannot_receive_is_refused_in_the_topic(
    running_bot: RunningBot, ana: SignalPerson, bot_api: FakeBotAPI, staff_chat: int
) -> None:
    """A location, a contact or a poll has no Signal form; a pin or a renamed topic is not a
    message: nothing empty reaches the person, and staff know what was not sent."""
    async with running_bot():
        await talk_on_signal(ana)
        await ana.send("bonjour, vous êtes là ?")
        await bot_api.wait_for(
            lambda: any("vous êtes là" in m.text for m in bot_api.bot_messages(STAFF_CHAT))
        )
        relayed = next(m for m in bot_api.bot_messages(STAFF_CHAT) if "vous êtes là" in m.text)
        thread = relayed.thread_id
        received = len(ana.inbox)
        location = {"location": {"latitude": 50.41, "longitude": 4.44}}
        bot_api.staff_sends_kind(NURSE, STAFF_CHAT, location, thread_id=thread)
        await bot_api.wait_for(
            lambda: any(NOT_SENT in m.text for m in bot_api.bot_messages(STAFF_CHAT))
        )
        bot_api.service_message(NURSE, STAFF_CHAT, bot_api.pinned(STAFF_CHAT, relayed.message_id),
                                thread_id=thread)  # fmt: skip
        bot_api.service_message(
            NURSE, STAFF_CHAT, {"forum_topic_edited": {"name": "Ana, PEP"}}, thread_id=thread
        )
        bot_api.staff_writes(NURSE, STAFF_CHAT, "Oui, on est là.", thread_id=thread)
        await ana.daemon.wait_for(lambda: "Oui, on est là." in [m.text for m in ana.inbox])
        await handled(bot_api)
    # Discreet mode rings with a neutral line first; nothing else, nothing empty.
    assert [m.text for m in ana.inbox[received:]] == [
        "🔔 Vous avez un nouveau message.",
        "Oui, on est là.",
    ]
    refusal = next(m for m in bot_api.bot_messages(STAFF_CHAT) if NOT_SENT in m.text)
    assert refusal.thread_id == thread


async def test_a_file_over_telegrams_upload_limit_is_given_up_and_both_sides_told(
    running_bot: RunningBot, ana: SignalPerson, bot_api: FakeBotAPI, staff_chat: int
) -> None:
    """Telegram answers HTTP 413 to an upload over its limit: trying again cannot help."""
    bot_api.upload_limit = 1024 * 1024
    async with running_bot():
        await talk_on_signal(ana)
        await ana.send("voici la lettre", [("application/pdf", "lettre.pdf", b"%" * 1_500_000)])
        await ana.daemon.wait_for(lambda: NOT_DELIVERED in ana.inbox[-1].text, timeout=20)
        await bot_api.wait_for(
            lambda: any(m.text.startswith("⚠️") for m in bot_api.bot_messages(STAFF_CHAT))
        )
    assert len(bot_api.calls_to("sendDocument")) == 1  # not tried again


def test_readme_adds_the_bot_to_the_staff_group_before_joining_groups_is_disabled() -> None:
    """With joining groups disabled in BotFather, nobody can add the bot to the staff group."""
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Connecting a real Telegram bot", 1)[1].split("\n## ", 1)[0]
    steps = re.split(r"^\d+\. ", section, flags=re.MULTILINE)[1:]

    def step_saying(words: str) -> int:
        return next(n for n, step in enumerate(steps) if words in " ".join(step.split()))

    assert step_saying("**add the bot** to it") < step_saying("`/setjoingroups` → Disable")
    assert step_saying("**turn Topics on**") <= step_saying("Read the group's id")


async def test_a_signed_staff_message_at_telegrams_limit_arrives_whole(
    running_bot: RunningBot, bot_api: FakeBotAPI, staff_chat: int
) -> None:
    rodica = someone(bot_api, 5550014005)
    text = " ".join(["information"] * 341) + " end"  # 4,095 characters: as long as staff may
    async with running_bot():
        await open_conversation(rodica)
        bot_api.user_sends(rodica.user, "hello")
        await bot_api.wait_for(lambda: len(copies_in(bot_api, STAFF_CHAT)) == 1)
        thread = copies_in(bot_api, STAFF_CHAT)[0].thread_id
        bot_api.staff_writes(NURSE, STAFF_CHAT, "/signature Claire", thread_id=thread)
        await handled(bot_api)
        bot_api.staff_writes(NURSE, STAFF_CHAT, text, thread_id=thread)
        await bot_api.wait_for(lambda: "— Claire" in bot_api.last_bot_message(rodica.user.id).text)
    received = [m.text for m in bot_api.bot_messages(rodica.user.id)][-2:]
    assert received[0].startswith("information")
    assert len(received) == 2 and all(len(piece) <= 4096 for piece in received)
    assert " ".join(received).split() == (text + " — Claire").split()


async def test_a_closed_topic_the_bot_may_not_post_in_sends_the_message_to_the_general_topic(
    running_bot: RunningBot, bot_api: FakeBotAPI, staff_chat: int
) -> None:
    """Telegram answers "Bad Request: TOPIC_CLOSED", which python-telegram-bot turns into
    "Topic_closed"; the message is not lost for a spelling."""
    rodica = someone(bot_api, 5550014006)
    async with running_bot():
        started = await open_conversation(rodica)
        pseudonym = started.text.split("The team sees you as ")[1].rstrip(".")
        bot_api.user_sends(rodica.user, "first")
        await bot_api.wait_for(lambda: len(copies_in(bot_api, STAFF_CHAT)) == 1)
        thread = copies_in(bot_api, STAFF_CHAT)[0].thread_id
        assert thread is not None
        # The topic was made by an earlier bot account, and this one is no administrator.
        bot_api.topic_creators[(STAFF_CHAT, thread)] = NURSE.id
        bot_api.bot_admin_in.discard(STAFF_CHAT)
        bot_api.staff_closes_topic(NURSE, STAFF_CHAT, thread)
        await handled(bot_api)
        bot_api.user_sends(rodica.user, "second")
        await bot_api.wait_for(lambda: len(copies_in(bot_api, STAFF_CHAT)) == 2)
        copy = copies_in(bot_api, STAFF_CHAT)[1]
        assert copy.text == "second" and copy.thread_id is None
        header = bot_api.messages[STAFF_CHAT][copy.reply_to]  # type: ignore[index]
        assert pseudonym in header.text
        bot_api.staff_writes(NURSE, STAFF_CHAT, "On vous lit.", reply_to=copy.message_id)
        await bot_api.wait_for(lambda: len(copies_in(bot_api, rodica.user.id)) == 1)
    assert thread in bot_api.closed_topics[STAFF_CHAT]
