"""/privacy, /forget and the scheduled purge, with a controllable clock."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path

from bot.retention import purge_expired
from tests.booking_helpers import CODE, ENGLISH, book_rapid_test, staff_notice
from tests.conftest import FakeClock, RunningBot, TelegramPerson
from tests.fakes.bot_api import FakeBotAPI, FakeUser


def rows(env: dict[str, str], table: str) -> int:
    with sqlite3.connect(Path(env["BOT_DATA_DIR"]) / "parapluie.sqlite3") as db:
        return int(db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])


async def test_forget_removes_everything_and_tells_the_team(
    running_bot: RunningBot, bot_api: FakeBotAPI, staff_chat: int, env: dict[str, str]
) -> None:
    ana = TelegramPerson(
        bot_api, FakeUser(id=5550003331, first_name="Ana", username=None, language_code="en")
    )
    async with running_bot():
        await ana.send("/start")
        code, _booked = await book_rapid_test(ana, ENGLISH)
        offer = await ana.send("/talk")
        await ana.tap(offer, "Write to the team")
        privacy = await ana.send("/privacy")
        assert "It does not keep the text of your messages." in privacy.text
        question = await ana.tap(privacy, "Delete everything about me")
        assert "This cannot be undone." in question.text
        done = await ana.tap(question, "Yes, delete everything")
        # The last word names nothing that was deleted; the chat holds nothing else.
        assert done.text.startswith("✅ Done.")
        assert "appointment" not in done.text and "team" not in done.text
        assert [m.text for m in bot_api.bot_messages(ana.user.id)] == [done.text]
        notice = await staff_notice(bot_api, "Rendez-vous annulé")
        assert code in notice.text
    assert rows(env, "users") == 0
    assert rows(env, "appointments") == 0 and rows(env, "reminders") == 0
    assert rows(env, "tickets") == 0 and rows(env, "outbox") == 0
    assert rows(env, "chat_messages") == 0  # not even the id of the goodbye message
    assert rows(env, "booking_counts") == 2  # booked and cancelled: numbers without a key


async def test_purge_by_age_with_a_controllable_clock(
    running_bot: RunningBot,
    bot_api: FakeBotAPI,
    staff_chat: int,
    env: dict[str, str],
    clock: FakeClock,
) -> None:
    ana = TelegramPerson(
        bot_api, FakeUser(id=5550003332, first_name="Ana", username=None, language_code="en")
    )
    start = clock.now
    async with running_bot() as runtime:
        await ana.send("/start")
        code, _booked = await book_rapid_test(ana, ENGLISH)  # 24 November
        assert CODE.match(code)
        offer = await ana.send("/talk")
        await ana.tap(offer, "Write to the team")
        ticket = await runtime.store.latest_ticket_for(
            runtime.conversation.user_key(ana.core_person())
        )
        assert ticket is not None
        await runtime.store.close_ticket(ticket.id, clock.now)

        clock.now = start + timedelta(days=29)
        purged = await purge_expired(runtime.conversation)
        assert (purged.conversations, purged.appointments, purged.people) == (0, 0, 0)
        clock.now = start + timedelta(days=32)  # the conversation closed 32 days ago, the
        purged = await purge_expired(runtime.conversation)  # appointment 31 days ago
        assert (purged.conversations, purged.appointments, purged.people) == (1, 1, 0)
        assert rows(env, "users") == 1
        clock.now = start + timedelta(days=367)  # a year without writing
        purged = await purge_expired(runtime.conversation)
        assert purged.people == 1
    assert rows(env, "users") == 0 and rows(env, "booking_counts") == 1


async def test_quick_exit_deletes_the_chat_and_leaves_one_neutral_line(
    running_bot: RunningBot, maria: TelegramPerson, bot_api: FakeBotAPI, clock: FakeClock
) -> None:
    async with running_bot():
        menu = await maria.send("/start")
        topic = await maria.tap(menu, "TPE")
        await maria.send("la capote a craqué")
        await maria.send("/menu")
        assert len(bot_api.messages[maria.user.id]) >= 6
        exit_screen = await maria.send("/menu")
        # The chat shrinks, so wait for what the person sees rather than for new activity.
        bot_api.user_taps(maria.user, exit_screen, "🚪")
        await bot_api.wait_for(
            lambda: [m.text for m in bot_api.messages[maria.user.id].values()] == ["👋"]
        )
    assert topic.message_id not in bot_api.messages[maria.user.id]
    assert len(bot_api.calls_to("deleteMessages")) == 1


async def test_privacy_says_how_long_from_the_config(
    running_bot: RunningBot, maria: TelegramPerson
) -> None:
    async with running_bot():
        privacy = await maria.send("/privacy")
        page = await maria.tap(privacy, "En savoir plus")
    assert "Les rendez-vous sont effacés 30 jours après leur date." in page.text
    assert "Tout ce qui vous concerne est effacé après 365 jours sans écrire." in page.text
    assert "L'équipe les lit dans son groupe Telegram." in page.text
