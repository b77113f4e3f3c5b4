"""'Open now' in Europe/Brussels, across the daylight-saving changes."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from bot.config import Hours, opening_status

BRUSSELS = ZoneInfo("Europe/Brussels")
OFFICE = Hours.model_validate(
    {"mon": ["09:00-12:00", "13:30-16:00"], "fri": "09:00-12:00", "sun": ["10:00-11:00"]}
)


def status_at(utc: datetime) -> tuple[bool, str | None]:
    status = opening_status(OFFICE, utc, BRUSSELS)
    opening = status.next_opening.isoformat() if status.next_opening else None
    return status.open_now, opening


def test_open_and_closed_on_a_winter_monday() -> None:
    # 09:30 in Brussels is 08:30 UTC in winter.
    assert opening_status(OFFICE, datetime(2026, 11, 23, 8, 30, tzinfo=UTC), BRUSSELS).open_now
    # Lunch break: the next opening is the afternoon span.
    assert status_at(datetime(2026, 11, 23, 11, 30, tzinfo=UTC)) == (
        False,
        "2026-11-23T13:30:00+01:00",
    )
    # Monday evening: next is Friday morning.
    assert status_at(datetime(2026, 11, 23, 17, 0, tzinfo=UTC)) == (
        False,
        "2026-11-27T09:00:00+01:00",
    )


def test_daylight_saving_days_use_local_wall_clock() -> None:
    # Sunday 29 March 2026: clocks go from 02:00 to 03:00. 10:30 local is 08:30 UTC.
    assert opening_status(OFFICE, datetime(2026, 3, 29, 8, 30, tzinfo=UTC), BRUSSELS).open_now
    # The same UTC time the week before is 09:30 local: not yet open.
    assert status_at(datetime(2026, 3, 22, 8, 30, tzinfo=UTC)) == (
        False,
        "2026-03-22T10:00:00+01:00",
    )
    # Sunday 25 October 2026: back to winter time; 10:30 local is 09:30 UTC.
    assert opening_status(OFFICE, datetime(2026, 10, 25, 9, 30, tzinfo=UTC), BRUSSELS).open_now
    # Saturday before the change, evening: next opening on Sunday after the change, in +01:00.
    assert status_at(datetime(2026, 10, 24, 20, 0, tzinfo=UTC)) == (
        False,
        "2026-10-25T10:00:00+01:00",
    )


def test_no_hours_means_never_open() -> None:
    status = opening_status(Hours(), datetime(2026, 11, 23, 9, 0, tzinfo=UTC), BRUSSELS)
    assert not status.open_now and status.next_opening is None
