"""Booking through Telegram: book, see, move, cancel; taken slots; replayed buttons; staff."""

from __future__ import annotations

from datetime import timedelta

from tests.booking_helpers import (
    CODE,
    ENGLISH,
    STAFF_CHAT,
    book_rapid_test,
    staff_messages,
    staff_notice,
)
from tests.conftest import FakeClock, RunningBot, TelegramPerson
from tests.fakes.bot_api import FakeBotAPI, FakeUser


async def test_book_see_move_and_cancel(
    running_bot: RunningBot, bot_api: FakeBotAPI, staff_chat: int, clock: FakeClock
) -> None:
    ana = TelegramPerson(
        bot_api,
        FakeUser(id=5550007777, first_name="Florentina", username="ana_x", language_code="en"),
    )
    async with running_bot() as runtime:
        await ana.send("/start")
        code, booked = await book_rapid_test(ana, ENGLISH)
        assert "Give this code at the desk instead of your name." in booked.text
        assert "Tuesday, 24 November, 13:30" in booked.text
        assert "Rue Desandrouin 13" in booked.text

        # Staff see a pseudonymous notice in the appointments topic.
        notice = await staff_notice(bot_api, code)
        assert "EN" in notice.text
        assert bot_api.topics[STAFF_CHAT][notice.thread_id] == "Rendez-vous"
        assert "Florentina" not in notice.text and "5550007777" not in notice.text

        mine = await ana.send("/appointments")
        assert code in mine.text
        details = await ana.tap(mine, code)
        days = await ana.tap(details, "Move")
        times = await ana.tap(days, "Thu, 26 Nov")
        confirm = await ana.tap(times, "09:20")
        assert f"This replaces your appointment {code}." in confirm.text
        moved = await ana.tap(confirm, "Confirm")
        new_code = CODE.search(moved.text)
        assert new_code is not None and new_code.group(0) != code
        assert "Thursday, 26 November, 09:20" in moved.text
        await staff_notice(bot_api, "Rendez-vous déplacé")

        upcoming = await runtime.store.upcoming_for(
            runtime.conversation.user_key(ana.core_person()), clock.now
        )
        assert [a.code for a in upcoming] == [new_code.group(0)]

        mine = await ana.send("/appointments")
        details = await ana.tap(mine, new_code.group(0))
        question = await ana.tap(details, "Cancel it")
        done = await ana.tap(question, "Yes, cancel it")
        assert "Cancelled." in done.text
        await staff_notice(bot_api, "Rendez-vous annulé")
        empty = await ana.send("/appointments")
        assert "You have no appointment coming up." in empty.text


async def test_a_replayed_confirmation_never_books_twice(
    running_bot: RunningBot, bot_api: FakeBotAPI, staff_chat: int, clock: FakeClock
) -> None:
    ana = TelegramPerson(
        bot_api, FakeUser(id=5550007778, first_name="Florentina", username=None, language_code="en")
    )
    async with running_bot() as runtime:
        await ana.send("/start")
        # Keep the confirmation screen's button data before it is tapped.
        types = await ana.send("/menu")
        types = await ana.tap(types, "📅 Appointment")
        types = await ana.tap(types, "Book an appointment")
        risk = await ana.tap(types, "Rapid test")
        days = await ana.tap(risk, "prefer not to say")
        times = await ana.tap(days, "Tue, 24 Nov")
        confirm = await ana.tap(times, "13:50")
        confirm_data = confirm.button("Confirm")["callback_data"]
        booked = await ana.tap(confirm, "Confirm")
        code = CODE.search(booked.text)
        assert code is not None
    async with running_bot() as runtime:  # even after a restart
        again, _answer = await ana.send_callback(booked, confirm_data)
        assert "already booked" in again.text and code.group(0) in again.text
        upcoming = await runtime.store.upcoming_for(
            runtime.conversation.user_key(ana.core_person()), clock.now
        )
        assert len(upcoming) == 1
    notices = [m for m in staff_messages(bot_api) if "Nouveau rendez-vous" in m.text]
    assert len(notices) == 1


async def test_a_slot_taken_meanwhile_gets_fresh_options(
    running_bot: RunningBot, bot_api: FakeBotAPI, staff_chat: int
) -> None:
    first = TelegramPerson(
        bot_api, FakeUser(id=5550008881, first_name="A", username=None, language_code="en")
    )
    second = TelegramPerson(
        bot_api, FakeUser(id=5550008882, first_name="B", username=None, language_code="en")
    )
    screens = {}
    async with running_bot():
        for person in (first, second):
            await person.send("/start")
            menu = await person.send("/menu")
            types = await person.tap(menu, "📅 Appointment")
            types = await person.tap(types, "Book an appointment")
            risk = await person.tap(types, "Rapid test")
            days = await person.tap(risk, "More than 3 months")
            times = await person.tap(days, "Tue, 24 Nov")
            screens[person] = await person.tap(times, "14:10")
        booked = await first.tap(screens[first], "Confirm")
        assert CODE.search(booked.text)
        taken = await second.tap(screens[second], "Confirm")
    assert "this time was just taken" in taken.text
    assert "14:10" not in taken.button_labels()
    assert "13:30" in taken.button_labels()


async def test_too_late_to_change_online(
    running_bot: RunningBot, bot_api: FakeBotAPI, staff_chat: int, clock: FakeClock
) -> None:
    ana = TelegramPerson(
        bot_api, FakeUser(id=5550007779, first_name="Florentina", username=None, language_code="en")
    )
    async with running_bot():
        await ana.send("/start")
        code, _booked = await book_rapid_test(ana, ENGLISH)
        clock.now += timedelta(days=1, hours=2, minutes=30)  # Tuesday 12:30, an hour before
        mine = await ana.send("/appointments")
        details = await ana.tap(mine, code)
    assert "It is too late to change it here. Call us:" in details.text
    assert "Move" not in " ".join(details.button_labels())


async def test_booking_and_cancelling_in_french(
    running_bot: RunningBot, maria: TelegramPerson, bot_api: FakeBotAPI, staff_chat: int
) -> None:
    async with running_bot():
        await maria.send("/start")
        menu = await maria.send("/menu")
        topic = await maria.tap(menu, "📅 Rendez-vous")
        types = await maria.tap(topic, "Prendre rendez-vous")
        risk = await maria.tap(types, "Test rapide")
        assert "quand a eu lieu votre dernier risque" in risk.text
        window = await maria.tap(risk, "Entre 3 jours et 3 mois")
        assert "fiable 3 mois après le risque" in window.text
        days = await maria.tap(window, "Continuer la réservation")
        times = await maria.tap(days, "Mar. 24 nov.")
        confirm = await maria.tap(times, "15:30")
        assert "Mardi 24 novembre, 15:30" in confirm.text
        asking = await maria.tap(confirm, "Ajouter un surnom")
        assert "pas votre vrai nom" in asking.text
        confirm = await maria.send("Rose")
        assert "Surnom : Rose" in confirm.text
        booked = await maria.tap(confirm, "Confirmer")
        assert "Donnez ce code à l'accueil à la place de votre nom." in booked.text
        code = CODE.search(booked.text)
        assert code is not None
        notice = await staff_notice(bot_api, "Surnom : Rose")
        assert "Maria" not in notice.text
        mine = await maria.send("/appointments")
        details = await maria.tap(mine, code.group(0))
        question = await maria.tap(details, "L'annuler")
        done = await maria.tap(question, "Oui, l'annuler")
    assert "Annulé." in done.text
