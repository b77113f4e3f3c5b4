"""Shared steps for the booking tests."""

from __future__ import annotations

import re

from tests.conftest import STAFF_CHAT, TelegramPerson
from tests.fakes.bot_api import ChatMessage, FakeBotAPI

CODE = re.compile(r"\b[A-Z2-9]{3}-[A-Z2-9]{3}\b")


def staff_messages(api: FakeBotAPI) -> list[ChatMessage]:
    return api.bot_messages(STAFF_CHAT)


async def staff_notice(api: FakeBotAPI, containing: str) -> ChatMessage:
    """The latest notice in the staff chat with this text (notices are sent in the background,
    after the person's answer)."""
    await api.wait_for(lambda: any(containing in m.text for m in staff_messages(api)))
    return [m for m in staff_messages(api) if containing in m.text][-1]


async def book_rapid_test(
    person: TelegramPerson, labels: dict[str, str]
) -> tuple[str, ChatMessage]:
    """Walks the whole flow; returns the booking code and the confirmation screen."""
    types = await person.send("/menu")
    types = await person.tap(types, labels["appointment_topic"])
    types = await person.tap(types, labels["book"])
    risk = await person.tap(types, labels["rapid_test"])
    advice = await person.tap(risk, labels["recent"])
    assert labels["pep_first"] in advice.text
    days = await person.tap(advice, labels["continue"])
    times = await person.tap(days, labels["first_day"])
    confirm = await person.tap(times, "13:30")
    booked = await person.tap(confirm, labels["confirm"])
    code = CODE.search(booked.text)
    assert code is not None, booked.text
    return code.group(0), booked


ENGLISH = {
    "appointment_topic": "📅 Appointment",
    "book": "Book an appointment",
    "rapid_test": "Rapid test",
    "recent": "Less than 3 days ago",
    "pep_first": "PEP comes first",
    "continue": "Continue booking",
    "first_day": "Tue, 24 Nov",
    "confirm": "Confirm",
}
