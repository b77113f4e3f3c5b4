"""`python -m bot doctor`: is this installation ready, and what to do when it is not.

One line per check, ok / warning / problem, each with what to do. Run after setting up, and
when something looks wrong; `/status` in the staff group shows the same in short. Nothing
here prints a token or an identifier. This module checks what is on this machine (config,
content, key, database, disk, backups); bot/doctor_services.py the services the bot talks to.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import sqlite3
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from bot.backup import LAST_BACKUP, bot_is_running
from bot.checks import check_everything
from bot.config import Config
from bot.content import Content
from bot.doctor_check import OK, PROBLEM, WARNING, Check, report, short_status
from bot.doctor_services import signal_checks, telegram_checks
from bot.errors import ValidationFailed
from bot.i18n import _
from bot.settings import SECRET_FILE, Settings

__all__ = ["OK", "PROBLEM", "WARNING", "Check", "report", "run_checks", "short_status"]

LOW_DISK, FULL_DISK = 1024**3, 100 * 1024**2
BACKUP_DAYS = 2
# Where the running bot keeps the staff group's new id after a migration
# (bot/channels/telegram_staff.py follow_migration).
STAFF_CHAT_MOVED = "telegram_staff_chat_moved:"


@dataclass
class DatabaseFacts:
    intact: bool | None = None  # None: no database yet
    last_backup: str | None = None
    staff_chat_moved: dict[int, int] = field(default_factory=dict)


async def run_checks(
    settings: Settings,
    today: date,
    loaded: tuple[Config, Content] | None = None,
    serving: bool | None = None,
) -> list[Check]:
    """`loaded`: the config and content the running bot serves (/status), instead of reading
    and checking them again. `serving`: whether the bot is running and connected, which
    decides whether signal-cli may be asked (bot/doctor_services.py); None finds out from the
    run lock."""
    config, checks = await _content(settings, loaded)
    # Reading the database and the disk blocks: in a thread, so that /status does not hold up
    # the conversations of the running bot.
    facts, local = await asyncio.to_thread(_storage, settings, today)
    checks += local
    if settings.telegram_token:
        staff_chat = settings.staff_chat_id or (config.staff.telegram_chat_id if config else None)
        checks += await telegram_checks(
            settings.telegram_token,
            settings.telegram_api_url,
            staff_chat,
            facts.staff_chat_moved,
            deletes_topics=bool(config and config.staff.delete_forgotten_topics),
        )
    if not settings.telegram_token and not settings.signal_cli:
        checks.append(Check(_("channels"), WARNING, _(
            "none: set TELEGRAM_BOT_TOKEN, or SIGNAL_ACCOUNT and SIGNAL_CLI (without them, "
            "python -m bot chat still works in a terminal)"
        )))  # fmt: skip
    if settings.signal_cli:
        if serving is None:
            serving = bot_is_running(settings.data_dir)
        checks += await signal_checks(settings.signal_cli, today, serving)
    return checks


async def _content(
    settings: Settings, loaded: tuple[Config, Content] | None
) -> tuple[Config | None, list[Check]]:
    if loaded is None:
        try:
            result = await check_everything(settings.config_path, settings.content_dir)
        except ValidationFailed as exc:
            first = str(exc).splitlines()[0]
            return None, [
                Check(
                    _("content"),
                    PROBLEM,
                    first + " " + _("(python -m bot content check lists all)"),
                )
            ]
        loaded = result.config, result.content
    config, content = loaded
    if config.example_data:
        return config, [
            Check(
                _("config"), WARNING, _("still the example data: set BOT_CONFIG to your own file")
            )
        ]
    return config, [
        Check(_("config"), OK, _("{count} topics").format(count=len(content.index.topics)))
    ]


def _key(settings: Settings) -> Check:
    beside = (settings.data_dir / SECRET_FILE).exists()
    if settings.key_from_environment and not beside:
        return Check(_("key"), OK, _("from BOT_SECRET_KEY"))
    if settings.key_from_environment:
        return Check(_("key"), WARNING, _(
            "BOT_SECRET_KEY is set, but a key file is still beside the database ({file}): keep "
            "it in the secret store if data was sealed with it (BOT_SECRET_KEY_PREVIOUS), then "
            "delete it"
        ).format(file=SECRET_FILE))  # fmt: skip
    if beside:
        return Check(_("key"), WARNING, _(
            "stored beside the database ({file}): in production pass BOT_SECRET_KEY from a "
            "secret store and delete the file"
        ).format(file=SECRET_FILE))  # fmt: skip
    return Check(_("key"), WARNING, _(
        "none yet: set BOT_SECRET_KEY from a secret store before the first start"
    ))  # fmt: skip


def _read_database(settings: Settings) -> DatabaseFacts:
    facts = DatabaseFacts()
    if not settings.database_path.exists():
        return facts
    try:
        uri = f"file:{settings.database_path}?mode=ro"
        with contextlib.closing(sqlite3.connect(uri, uri=True)) as db:
            facts.intact = db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            rows = db.execute(
                "SELECT key, value FROM bot_settings WHERE key = ? OR key LIKE ?",
                (LAST_BACKUP, STAFF_CHAT_MOVED + "%"),
            ).fetchall()
    except sqlite3.DatabaseError:
        facts.intact = False
        return facts
    for key, value in rows:
        if key == LAST_BACKUP:
            facts.last_backup = value
        elif key[len(STAFF_CHAT_MOVED) :].lstrip("-").isdecimal() and value.lstrip("-").isdecimal():
            facts.staff_chat_moved[int(key[len(STAFF_CHAT_MOVED) :])] = int(value)
    return facts


def _storage(settings: Settings, today: date) -> tuple[DatabaseFacts, list[Check]]:
    checks = [_key(settings)]
    facts = _read_database(settings)
    if facts.intact is None:
        checks.append(Check(_("database"), WARNING, _("none yet (created at the first start)")))
    elif facts.intact:
        checks.append(Check(_("database"), OK, _("intact")))
    else:
        checks.append(
            Check(_("database"), PROBLEM, _("damaged: stop the bot and restore the last backup"))
        )
    if facts.intact:
        checks.append(_backup_age(facts.last_backup, today))
    free = shutil.disk_usage(settings.data_dir).free
    level = PROBLEM if free < FULL_DISK else WARNING if free < LOW_DISK else OK
    checks.append(
        Check(
            _("disk"),
            level,
            _("{mb} MB free in {folder}").format(mb=free // 1024**2, folder=settings.data_dir),
        )
    )
    return facts, checks


def _backup_age(last: str | None, today: date) -> Check:
    if last is None:
        return Check(_("backup"), WARNING, _("never: run python -m bot backup PATH daily"))
    days = (today - datetime.fromisoformat(last.replace("Z", "+00:00")).date()).days
    if days > BACKUP_DAYS:
        return Check(_("backup"), WARNING, _("the last one is {days} days old").format(days=days))
    return Check(_("backup"), OK, _("{days} days old").format(days=days))


def today_utc() -> date:
    return datetime.now(UTC).date()
