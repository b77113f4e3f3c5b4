"""Reminders with a controllable clock: due, discreet, once, never after cancelling, DST."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.booking import reminder_times
from bot.config import load_config
from bot.reminders import send_due_reminders
from tests.booking_helpers import ENGLISH, book_rapid_test
from tests.conftest import ROOT, FakeClock, RunningBot, TelegramPerson
from tests.fakes.bot_api import FakeBotAPI, FakeUser

BRUSSELS = ZoneInfo("Europe/Brussels")
MEDICAL_WORDS = ["test", "HIV", "syphilis", "hepatitis", "nurse", "doctor", "PEP"]


async def test_reminders_are_due_discreet_sent_once_and_survive_a_restart(
    running_bot: RunningBot, bot_api: FakeBotAPI, clock: FakeClock
) -> None:
    ana = TelegramPerson(
        bot_api, FakeUser(id=5550006661, first_name="Ana", username=None, language_code="en")
    )
    async with running_bot() as runtime:
        await ana.send("/start")
        code, _booked = await book_rapid_test(ana, ENGLISH)  # Tuesday 24 November 13:30
        before = len(bot_api.bot_messages(ana.user.id))
        clock.now = datetime(2026, 11, 23, 13, 0, tzinfo=BRUSSELS)  # 24.5 hours before
        assert await send_due_reminders(runtime.conversation) == 0
        clock.now = datetime(2026, 11, 23, 13, 31, tzinfo=BRUSSELS)
        assert await send_due_reminders(runtime.conversation) == 1
        assert await send_due_reminders(runtime.conversation) == 0
        reminder = bot_api.bot_messages(ana.user.id)[before]
        assert "Reminder: you have an appointment Tuesday, 24 November, 13:30." in reminder.text
        # The example config is discreet: no address (tests/test_discreet.py has both modes).
        assert code in reminder.text and "Rue Desandrouin 13" not in reminder.text
        assert not any(word.lower() in reminder.text.lower() for word in MEDICAL_WORDS)
    async with running_bot() as runtime:  # a restart sends nothing twice
        assert await send_due_reminders(runtime.conversation) == 0
        clock.now = datetime(2026, 11, 24, 11, 45, tzinfo=BRUSSELS)  # 1 hour 45 before
        assert await send_due_reminders(runtime.conversation) == 1
        assert await send_due_reminders(runtime.conversation) == 0
    assert len(bot_api.bot_messages(ana.user.id)) == before + 2


async def test_no_reminder_for_a_cancelled_or_moved_appointment(
    running_bot: RunningBot, bot_api: FakeBotAPI, clock: FakeClock
) -> None:
    ana = TelegramPerson(
        bot_api, FakeUser(id=5550006662, first_name="Ana", username=None, language_code="en")
    )
    async with running_bot() as runtime:
        await ana.send("/start")
        code, _booked = await book_rapid_test(ana, ENGLISH)
        mine = await ana.send("/appointments")
        details = await ana.tap(mine, code)
        question = await ana.tap(details, "Cancel it")
        await ana.tap(question, "Yes, cancel it")
        clock.now = datetime(2026, 11, 24, 12, 0, tzinfo=BRUSSELS)
        assert await send_due_reminders(runtime.conversation) == 0


async def test_detailed_reminders_when_the_person_chose_them(
    running_bot: RunningBot, bot_api: FakeBotAPI, clock: FakeClock
) -> None:
    ana = TelegramPerson(
        bot_api, FakeUser(id=5550006663, first_name="Ana", username=None, language_code="en")
    )
    async with running_bot() as runtime:
        await ana.send("/start")
        menu = await ana.send("/menu")
        types = await ana.tap(menu, "📅 Appointment")
        types = await ana.tap(types, "Book an appointment")
        risk = await ana.tap(types, "Rapid test")
        days = await ana.tap(risk, "prefer not to say")
        times = await ana.tap(days, "Thu, 26 Nov")
        confirm = await ana.tap(times, "10:00")
        confirm = await ana.tap(confirm, "Say the type in reminders")
        assert "with the type of appointment" in confirm.text
        await ana.tap(confirm, "Confirm")
        clock.now = datetime(2026, 11, 26, 8, 30, tzinfo=BRUSSELS)
        assert await send_due_reminders(runtime.conversation) == 1
    reminder = bot_api.bot_messages(ana.user.id)[-1]
    assert (
        "Reminder: Rapid test (HIV, syphilis, hepatitis C), Thursday, 26 November, 10:00."
        in reminder.text
    )


def test_reminders_in_the_week_of_the_daylight_saving_change() -> None:
    rules = load_config(ROOT / "config.example.yaml").appointments
    assert rules is not None
    # Monday 30 March 2026 10:00 in Brussels (summer time since Sunday 02:00) is 08:00 UTC.
    starts = datetime(2026, 3, 30, 10, 0, tzinfo=BRUSSELS).astimezone(UTC)
    due = reminder_times(rules, starts, datetime(2026, 3, 27, 12, 0, tzinfo=UTC))
    # 24 real hours before: Sunday 08:00 UTC, which is 10:00 summer time; 2 hours before: 08:00.
    assert due == [datetime(2026, 3, 29, 8, 0, tzinfo=UTC), datetime(2026, 3, 30, 6, 0, tzinfo=UTC)]
    assert due[0].astimezone(BRUSSELS).hour == 10
    # Reminders already past when booking late are not stored.
    assert reminder_times(rules, starts, starts - timedelta(hours=3)) == [
        starts - timedelta(hours=2)
    ]
