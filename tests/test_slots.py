"""Slots from the config: weekly rules, every three weeks, closures, notice, DST."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from bot.booking import bookable_window, can_still_change, slots_on
from bot.config import Appointments, load_config
from tests.conftest import ROOT

BRUSSELS = ZoneInfo("Europe/Brussels")


def rules() -> Appointments:
    found = load_config(ROOT / "config.example.yaml").appointments
    assert found is not None
    return found


def local_times(slots: list) -> list[str]:  # type: ignore[type-arg]
    return [s.starts_at.astimezone(BRUSSELS).strftime("%H:%M") for s in slots]


def test_weekly_slots_fill_the_span() -> None:
    slots = slots_on(rules(), "rapid_test", "charleroi", date(2026, 11, 24), BRUSSELS)
    assert local_times(slots) == ["13:30", "13:50", "14:10", "14:30", "14:50", "15:10", "15:30"]
    assert slots_on(rules(), "rapid_test", "charleroi", date(2026, 11, 25), BRUSSELS) == []


def test_the_permanence_every_three_weeks() -> None:
    found = [
        d.isoformat()
        for d in (date.fromordinal(date(2026, 11, 1).toordinal() + n) for n in range(90))
        if slots_on(rules(), "medical_permanence", "charleroi", d, BRUSSELS)
    ]
    # 17 December and 7 January fall 3 and 6 weeks after the anchor; 7 January is after the
    # year-end closure (24 December to 1 January).
    assert found == ["2026-11-26", "2026-12-17", "2027-01-07", "2027-01-28"]
    first = slots_on(rules(), "medical_permanence", "charleroi", date(2026, 11, 26), BRUSSELS)
    assert local_times(first)[0] == "14:00" and local_times(first)[-1] == "16:40"


def test_closures_remove_every_slot() -> None:
    assert slots_on(rules(), "rapid_test", "charleroi", date(2026, 12, 29), BRUSSELS) == []
    assert slots_on(rules(), "nurse", "louvain-la-neuve", date(2026, 12, 29), BRUSSELS) == []


def test_wall_clock_times_across_the_daylight_saving_change() -> None:
    before = slots_on(rules(), "rapid_test", "charleroi", date(2026, 3, 24), BRUSSELS)
    after = slots_on(rules(), "rapid_test", "charleroi", date(2026, 3, 31), BRUSSELS)
    assert local_times(before) == local_times(after)
    assert before[0].starts_at.hour == 12 and after[0].starts_at.hour == 11  # UTC moves, not us


def test_notice_horizon_and_cut_off() -> None:
    now = datetime(2026, 11, 24, 12, 0, tzinfo=BRUSSELS)
    earliest, last_day = bookable_window(rules(), now, BRUSSELS)
    assert earliest.astimezone(BRUSSELS).strftime("%H:%M") == "14:00"  # two hours' notice
    assert last_day == date(2026, 12, 22)  # 28 days ahead
    slot = datetime(2026, 11, 24, 15, 0, tzinfo=BRUSSELS)
    assert can_still_change(rules(), slot, datetime(2026, 11, 24, 12, 59, tzinfo=BRUSSELS))
    assert not can_still_change(rules(), slot, datetime(2026, 11, 24, 13, 0, tzinfo=BRUSSELS))
