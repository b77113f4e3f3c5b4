"""Appointment slots, booking codes and the rules around them (no I/O here).

Times are planned in the organisation's wall-clock time (Europe/Brussels) and stored in UTC;
a slot at 14:00 stays at 14:00 across the daylight-saving change.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.config import Appointments

# No 0/O, 1/I/L, 5/S or 8/B: a code read aloud at the desk or typed on a phone stays exact.
CODE_ALPHABET = "ACDEFGHJKMNPQRTUVWXYZ234679"


def new_code() -> str:
    letters = "".join(secrets.choice(CODE_ALPHABET) for _ in range(6))
    return f"{letters[:3]}-{letters[3:]}"


def normalise_code(text: str) -> str:
    """What a person types ("abc 234", "ABC234") to the stored form "ABC-234"."""
    compact = "".join(ch for ch in text.upper() if ch.isalnum())
    return f"{compact[:3]}-{compact[3:]}" if len(compact) == 6 else compact


@dataclass(frozen=True)
class Slot:
    type: str
    location: str
    starts_at: datetime  # aware, UTC

    @property
    def key(self) -> str:
        """Compact UTC start for button data: 202611241330."""
        return self.starts_at.astimezone(UTC).strftime("%Y%m%d%H%M")

    @staticmethod
    def parse_key(key: str) -> datetime:
        return datetime.strptime(key, "%Y%m%d%H%M").replace(tzinfo=UTC)


def slots_on(
    rules: Appointments, type_id: str, location: str, day: date, zone: ZoneInfo
) -> list[Slot]:
    kind = rules.type(type_id)
    if kind is None or rules.closed(day, location):
        return []
    length = timedelta(minutes=kind.slot_minutes)
    slots = []
    for schedule in rules.schedules_for(type_id, location):
        for span in schedule.spans_on(day):
            start = datetime.combine(day, span.start, tzinfo=zone)
            end = datetime.combine(day, span.end, tzinfo=zone)
            # Wall-clock arithmetic: step in local time, then convert each start to UTC.
            while start + length <= end:
                slots.append(Slot(type_id, location, start.astimezone(UTC)))
                start = (start.replace(tzinfo=None) + length).replace(tzinfo=zone)
    return sorted(set(slots), key=lambda slot: slot.starts_at)


def bookable_window(rules: Appointments, now: datetime, zone: ZoneInfo) -> tuple[datetime, date]:
    """The earliest bookable start, and the last bookable day."""
    earliest = now.astimezone(UTC) + timedelta(minutes=rules.minimum_notice_minutes)
    last_day = now.astimezone(zone).date() + timedelta(days=rules.horizon_days)
    return earliest, last_day


def can_still_change(rules: Appointments, starts_at: datetime, now: datetime) -> bool:
    return now.astimezone(UTC) < starts_at - timedelta(minutes=rules.cancellation_cutoff_minutes)


def reminder_times(rules: Appointments, starts_at: datetime, now: datetime) -> list[datetime]:
    """Reminders still ahead of us; 24 hours before means 24 real hours, DST or not."""
    due = [starts_at - timedelta(hours=hours) for hours in rules.reminder_hours]
    return sorted(moment for moment in due if moment > now.astimezone(UTC))
