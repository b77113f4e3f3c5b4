"""Staff: /agenda, /done and /missed in the staff chat only; the agenda export; counters."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime
from zoneinfo import ZoneInfo

from icalendar import Calendar

from tests.booking_helpers import ENGLISH, STAFF_CHAT, book_rapid_test, staff_notice
from tests.conftest import ROOT, RunningBot, TelegramPerson
from tests.fakes.bot_api import FakeBotAPI, FakeUser

BRUSSELS = ZoneInfo("Europe/Brussels")


async def _staff_says(api: FakeBotAPI, text: str) -> str:
    nurse = FakeUser(id=5550000001, first_name="Nurse", username=None, language_code="fr")
    before = len(api.bot_messages(STAFF_CHAT))
    api.group_message(nurse, STAFF_CHAT, text)
    await api.wait_for(lambda: len(api.bot_messages(STAFF_CHAT)) > before)
    return api.bot_messages(STAFF_CHAT)[-1].text


async def test_agenda_and_marks_in_the_staff_chat(
    running_bot: RunningBot, bot_api: FakeBotAPI, staff_chat: int, env: dict[str, str]
) -> None:
    ana = TelegramPerson(
        bot_api, FakeUser(id=5550005551, first_name="Ana", username=None, language_code="en")
    )
    async with running_bot() as runtime:
        await ana.send("/start")
        code, _booked = await book_rapid_test(ana, ENGLISH)
        await staff_notice(bot_api, code)  # the booking's notice, posted after the answer
        agenda = await _staff_says(bot_api, "/agenda 24/11")
        assert "Mardi 24 novembre 2026" in agenda
        assert "Entre 2 Wallonie – Charleroi" in agenda and "Test rapide" in agenda
        assert f"13:30 · {code} · EN" in agenda
        assert "Ana" not in agenda
        done = await _staff_says(bot_api, f"/done {code.lower().replace('-', '')}")
        assert f"{code} marqué comme venu." in done
        again = await _staff_says(bot_api, f"/missed {code}")
        assert f"Aucun rendez-vous réservé avec le code {code}." in again
        agenda = await _staff_says(bot_api, "/agenda 2026-11-24")
        assert f"13:30 · {code} · EN ✓" in agenda
        assert "Aucun rendez-vous." in await _staff_says(bot_api, "/agenda 25/11")
        # The same command from a person in a private chat is not a staff command.
        reply = await ana.send("/agenda")
        assert "Agenda" not in reply.text
        counts = await runtime.store.counts()
    assert ("2026-11", "rapid_test", "charleroi", "booked", 1) in counts
    assert ("2026-11", "rapid_test", "charleroi", "done", 1) in counts
    assert all(len(row) == 5 for row in counts)  # month, type, location, event, count: no key

    export = subprocess.run(
        [
            sys.executable,
            "-m",
            "bot",
            "agenda",
            "--from",
            "2026-11-23",
            "--days",
            "7",
            "--format",
            "ics",
        ],
        env={**env, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        cwd=ROOT,
        check=True,
    )
    calendar = Calendar.from_ical(export.stdout)
    events = calendar.walk("VEVENT")
    assert len(events) == 1
    event = events[0]
    assert str(event["uid"]) == f"{code}@parapluie.invalid"
    start = event.decoded("dtstart")
    assert start == datetime(2026, 11, 24, 13, 30, tzinfo=BRUSSELS)
    assert str(start.tzinfo) == "Europe/Brussels"
    assert (event.decoded("dtend") - start).total_seconds() == 20 * 60
    assert code in str(event["summary"]) and "Rue Desandrouin 13" in str(event["location"])
    assert calendar.walk("VTIMEZONE"), "calendar apps need the time zone definition"

    text = subprocess.run(
        [sys.executable, "-m", "bot", "agenda", "--from", "2026-11-24"],
        env={**env, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    ).stdout
    assert f"13:30 · {code} · EN ✓" in text and "<b>" not in text

    stats = subprocess.run(
        [sys.executable, "-m", "bot", "stats"],
        env={**env, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    ).stdout.splitlines()
    rows = [line.split() for line in stats[1:]]
    assert ["2026-11", "rapid_test", "charleroi", "booked", "1"] in rows
    assert ["2026-11", "rapid_test", "charleroi", "done", "1"] in rows
    assert code not in "\n".join(stats)
