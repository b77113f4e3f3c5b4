"""The organisation's configuration: places, hours, partners, emergency numbers, languages.

Everything that differs between organisations lives here or in content/, never in code.
"""

from __future__ import annotations

import itertools
import re
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from bot.errors import ValidationFailed, describe, load_yaml

SUPPORTED_LANGUAGES = ("fr", "nl", "en", "es", "pt", "ro", "bg")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
Language = Literal["fr", "nl", "en", "es", "pt", "ro", "bg"]
Region = Literal[
    "brussels",
    "hainaut",
    "namur",
    "liege",
    "luxembourg",
    "brabant_wallon",
    "flemish_brabant",
    "antwerp",
    "east_flanders",
    "west_flanders",
    "limburg",
]
# Labels for these live in the interface catalogs (bot/labels.py), so adding a value needs a
# translation in every language; the test suite checks that.
ServiceKind = Literal[
    "drop_in",
    "social_support",
    "nurse",
    "rapid_test",
    "medical_permanence",
    "outreach",
    "condoms",
    "needle_exchange",
    "hygiene_kits",
]
PartnerKind = Literal[
    "hiv_reference_centre",
    "cpvs",
    "testing",
    "trafficking_centre",
    "sex_worker_organisation",
]
EmergencyKind = Literal[
    "ambulance_fire",
    "police",
    "domestic_violence",
    "suicide_prevention",
    "suicide_prevention_nl",
    "sexual_violence",
    "listening_line",
    "poison_centre",
    "child_focus",
    "violence_helpline_flanders",
]

PHONE = re.compile(r"^\+?[0-9][0-9 ./]{1,20}[0-9]$")
SPAN = re.compile(r"^(\d{2}):(\d{2})-(\d{2}):(\d{2})$")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TimeSpan(Strict):
    start: time
    end: time

    @classmethod
    def parse(cls, text: str) -> TimeSpan:
        match = SPAN.match(text.strip())
        if not match:
            raise ValueError(f"{text!r} is not a time span like 09:00-12:00")
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        if h1 > 23 or h2 > 24 or m1 > 59 or m2 > 59 or (h2 == 24 and m2):
            raise ValueError(f"{text!r} has an impossible time")
        end = time(23, 59, 59) if h2 == 24 else time(h2, m2)
        if end <= time(h1, m1):
            raise ValueError(f"{text!r} ends before it starts")
        return cls(start=time(h1, m1), end=end)

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"


def _check_phone(value: str) -> str:
    if not PHONE.match(value):
        raise ValueError(f"{value!r} is not a phone number (digits, spaces, dots, slashes, +)")
    return value


Phone = Annotated[str, Field(min_length=3)]
LocalizedText = dict[Language, str]


def localized(text: LocalizedText, lang: str, fallback: str) -> str:
    """The text in `lang`; config validation guarantees every configured language is there."""
    texts: dict[str, str] = {str(key): value for key, value in text.items()}
    return texts.get(lang) or texts[fallback]


class Hours(Strict):
    """Opening hours per weekday; a weekday that is absent is closed."""

    spans: dict[str, tuple[TimeSpan, ...]] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _from_yaml(cls, value: object) -> object:
        if isinstance(value, dict) and "spans" not in value:
            spans: dict[str, list[TimeSpan]] = {}
            for day, texts in value.items():
                if day not in WEEKDAYS:
                    raise ValueError(f"{day!r} is not a weekday (use {', '.join(WEEKDAYS)})")
                if isinstance(texts, str):
                    texts = [texts]
                if not isinstance(texts, list):
                    raise ValueError(f"{day}: give a list of spans like ['09:00-12:00']")
                parsed = sorted((TimeSpan.parse(str(t)) for t in texts), key=lambda s: s.start)
                for earlier, later in itertools.pairwise(parsed):
                    if later.start < earlier.end:
                        raise ValueError(f"{day}: {earlier} and {later} overlap")
                spans[day] = parsed
            return {"spans": spans}
        return value

    def is_empty(self) -> bool:
        return not self.spans


class Location(Strict):
    # Short, because ids travel in 64-byte Telegram button data.
    id: Annotated[str, Field(pattern=r"^[a-z0-9_-]+$", max_length=32)]
    name: str
    kind: Literal["office", "antenna", "mobile_unit"]
    region: Region
    address: str | None = None
    phones: list[str] = Field(default_factory=list)
    email: str | None = None
    hours: Hours = Field(default_factory=Hours)
    services: list[ServiceKind] = Field(min_length=1)
    stops: list[str] = Field(default_factory=list)
    note: LocalizedText | None = None

    _phones = field_validator("phones")(lambda v: [_check_phone(p) for p in v])


class Partner(Strict):
    # Short, because ids travel in 64-byte Telegram button data.
    id: Annotated[str, Field(pattern=r"^[a-z0-9_-]+$", max_length=32)]
    name: str
    kind: PartnerKind
    region: Region
    city: str
    address: str | None = None
    phone: str | None = None
    email: str | None = None
    url: str | None = None
    always_open: bool = False
    note: LocalizedText | None = None

    _phone = field_validator("phone")(lambda v: v if v is None else _check_phone(v))


class EmergencyNumber(Strict):
    number: str
    kind: EmergencyKind
    always_open: bool = False
    free: bool = True

    _number = field_validator("number")(_check_phone)


class AppointmentType(Strict):
    """Something a person can book: a rapid test, the nurse, the doctor's permanence..."""

    id: Annotated[str, Field(pattern=r"^[a-z0-9_]+$", max_length=24)]
    name: LocalizedText
    slot_minutes: Annotated[int, Field(ge=5, le=240)]
    capacity: Annotated[int, Field(ge=1, le=50)] = 1
    # Before a rapid test the bot asks when the last risk was (PEP first, window period).
    asks_last_risk: bool = False


class Schedule(Strict):
    """When a type can be booked at a location: weekly hours, or hours every N weeks."""

    type: str
    location: str
    weekly: Hours = Field(default_factory=Hours)
    every_weeks: Annotated[int, Field(ge=1, le=52)] | None = None
    anchor: date | None = None
    hours: list[str] = Field(default_factory=list)

    @field_validator("hours")
    @classmethod
    def _spans(cls, value: list[str]) -> list[str]:
        for text in value:
            TimeSpan.parse(text)
        return value

    @model_validator(mode="after")
    def _one_rule(self) -> Schedule:
        repeating = self.every_weeks is not None or self.anchor is not None or self.hours
        if repeating and (self.every_weeks is None or self.anchor is None or not self.hours):
            raise ValueError("a rule every N weeks needs every_weeks, anchor and hours")
        if not repeating and self.weekly.is_empty():
            raise ValueError("give weekly hours, or every_weeks with anchor and hours")
        return self

    def spans_on(self, day: date) -> list[TimeSpan]:
        spans = list(self.weekly.spans.get(WEEKDAYS[day.weekday()], ()))
        if self.every_weeks and self.anchor is not None:
            offset = (day - self.anchor).days
            if offset >= 0 and offset % (7 * self.every_weeks) == 0:
                spans += [TimeSpan.parse(text) for text in self.hours]
        return sorted(spans, key=lambda span: span.start)


class Closure(Strict):
    """Days without appointments: holidays, training days. No locations means everywhere."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
    start: date = Field(alias="from")
    end: date | None = Field(default=None, alias="to")
    locations: list[str] = Field(default_factory=list)

    def covers(self, day: date, location: str) -> bool:
        last = self.end or self.start
        return self.start <= day <= last and (not self.locations or location in self.locations)


class Appointments(Strict):
    horizon_days: Annotated[int, Field(ge=1, le=365)] = 28
    minimum_notice_minutes: Annotated[int, Field(ge=0)] = 120
    cancellation_cutoff_minutes: Annotated[int, Field(ge=0)] = 120
    reminder_hours: list[Annotated[int, Field(ge=1, le=168)]] = Field(
        default_factory=lambda: [24, 2]
    )
    types: list[AppointmentType] = Field(min_length=1)
    schedules: list[Schedule] = Field(min_length=1)
    closures: list[Closure] = Field(default_factory=list)

    def type(self, type_id: str) -> AppointmentType | None:
        return next((t for t in self.types if t.id == type_id), None)

    def schedules_for(self, type_id: str, location: str | None = None) -> list[Schedule]:
        return [
            s
            for s in self.schedules
            if s.type == type_id and (location is None or s.location == location)
        ]

    def closed(self, day: date, location: str) -> bool:
        return any(closure.covers(day, location) for closure in self.closures)


class Retention(Strict):
    """How long things are kept. Relayed message text is never kept past its delivery."""

    closed_conversations_days: Annotated[int, Field(ge=1)] = 30
    appointments_days: Annotated[int, Field(ge=1)] = 30
    inactive_people_days: Annotated[int, Field(ge=30)] = 365


class Signal(Strict):
    # Disappearing messages the bot turns on in its chat with each new person on Signal
    # (0 leaves them off). People can change the timer in the chat's settings.
    disappearing_messages_hours: Annotated[int, Field(ge=0, le=24 * 28)] = 24
    # Larger attachments are not fetched from signal-cli nor passed on (the person is told):
    # Telegram bots may send files up to 50 MB, and a file is held in memory while relayed.
    max_attachment_mb: Annotated[int, Field(ge=1, le=50)] = 20


class Organisation(Strict):
    name: str
    website: str | None = None


class Staff(Strict):
    telegram_chat_id: int | None = None
    # When the team answers conversations; outside these hours the person gets the next
    # opening time and the emergency numbers at once.
    hours: Hours = Field(default_factory=Hours)
    # A person who talks again within this time finds the same conversation (and topic).
    reopen_hours: Annotated[int, Field(ge=0, le=24 * 30)] = 72
    # When a person is forgotten (/forget, or the retention purge), their conversation's topic
    # is closed with a notice; true deletes it instead, with everything staff wrote there.
    delete_forgotten_topics: bool = False
    # How long `/block` (without a number of days) keeps a person's messages from the team.
    block_days: Annotated[int, Field(ge=1, le=365)] = 7


class Config(Strict):
    example_data: bool = False
    # Neutral wording where someone holding the phone may look: the welcome, the app's command
    # list, reminders without an address (SECURITY.md, "Discreet mode").
    discreet: bool = False
    organisation: Organisation
    timezone: str = "Europe/Brussels"
    languages: list[Language] = Field(min_length=1)
    default_language: Language
    locations: list[Location] = Field(min_length=1)
    partners: list[Partner] = Field(default_factory=list)
    emergency_numbers: list[EmergencyNumber] = Field(min_length=1)
    staff: Staff = Field(default_factory=Staff)
    appointments: Appointments | None = None
    retention: Retention = Field(default_factory=Retention)
    signal: Signal = Field(default_factory=Signal)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except Exception as exc:
            raise ValueError(f"{value!r} is not an IANA time zone like Europe/Brussels") from exc
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Config:
        if self.default_language not in self.languages:
            raise ValueError(f"default_language {self.default_language!r} is not in languages")
        seen: set[str] = set()
        places: list[Location | Partner] = [*self.locations, *self.partners]
        for item in places:
            if item.id in seen:
                raise ValueError(f"id {item.id!r} is used twice; ids must be unique")
            seen.add(item.id)
        for item in places:
            if item.note is not None:
                missing = [lang for lang in self.languages if lang not in item.note]
                if missing:
                    raise ValueError(f"{item.id}: note has no text for {', '.join(missing)}")
        if self.appointments is not None:
            self._check_appointments(self.appointments)
        return self

    def _check_appointments(self, appointments: Appointments) -> None:
        type_ids = [t.id for t in appointments.types]
        for kind in appointments.types:
            missing = [lang for lang in self.languages if lang not in kind.name]
            if missing:
                raise ValueError(f"appointment type {kind.id}: name has no {', '.join(missing)}")
        location_ids = {loc.id for loc in self.locations}
        for schedule in appointments.schedules:
            if schedule.type not in type_ids:
                raise ValueError(f"schedule: unknown appointment type {schedule.type!r}")
            if schedule.location not in location_ids:
                raise ValueError(f"schedule: unknown location {schedule.location!r}")
        for closure in appointments.closures:
            unknown = set(closure.locations) - location_ids
            if unknown:
                raise ValueError(f"closure: unknown location {', '.join(sorted(unknown))}")

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def location(self, location_id: str) -> Location | None:
        return next((loc for loc in self.locations if loc.id == location_id), None)

    def partners_of(self, kind: str) -> list[Partner]:
        return [p for p in self.partners if p.kind == kind]


def load_config(path: Path) -> Config:
    data = load_yaml(path)
    if not isinstance(data, dict):
        raise ValidationFailed([f"{path}: (top level): expected a mapping of settings"])
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        raise ValidationFailed(describe(exc, path, data)) from exc


class OpeningStatus(BaseModel):
    open_now: bool
    closes_at: time | None = None
    next_opening: datetime | None = None


def opening_status(hours: Hours, now: datetime, zone: ZoneInfo) -> OpeningStatus:
    """Whether a place is open at `now`, computed in the organisation's local time.

    Local wall-clock times are compared, so the daylight-saving change needs no special case.
    """
    local = now.astimezone(zone)
    today = WEEKDAYS[local.weekday()]
    for span in hours.spans.get(today, ()):
        if span.start <= local.time() < span.end:
            return OpeningStatus(open_now=True, closes_at=span.end)
    for offset in range(8):
        day = local.date() + timedelta(days=offset)
        for span in hours.spans.get(WEEKDAYS[day.weekday()], ()):
            if offset == 0 and span.start <= local.time():
                continue
            return OpeningStatus(
                open_now=False,
                next_opening=datetime.combine(day, span.start, tzinfo=zone),
            )
    return OpeningStatus(open_now=False)
