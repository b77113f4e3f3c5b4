"""`python -m bot doctor`: is this installation ready, and what to do when it is not.

One line per check, ok / warning / problem, each with what to do. Run after setting up, and
when something looks wrong; `/status` in the staff group shows the same in short. Nothing
here prints a token or an identifier.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
import sqlite3
from dataclasses import dataclass
from datetime import UTC, date, datetime

from telegram import Bot
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import ChatMigrated, InvalidToken, TelegramError

from bot.backup import LAST_BACKUP
from bot.channels.signal_rpc import parse_address
from bot.checks import check_everything
from bot.errors import ValidationFailed
from bot.i18n import _
from bot.logs import redact
from bot.settings import SECRET_FILE, Settings

OK, WARNING, PROBLEM = "ok", "warning", "problem"
# signal-cli's releases (its CHANGELOG.md). Signal's servers stop serving clients about three
# months old; a version newer than this table is newer than anything known here.
SIGNAL_CLI_RELEASES = {
    "0.14.6": "2026-07-12", "0.14.5": "2026-06-11", "0.14.4": "2026-05-23",
    "0.14.3": "2026-04-22", "0.14.2": "2026-04-04", "0.14.1": "2026-03-08",
    "0.14.0": "2026-03-01", "0.13.24": "2026-02-05", "0.13.23": "2026-01-24",
    "0.13.22": "2025-11-14", "0.13.21": "2025-10-25", "0.13.20": "2025-09-23",
}  # fmt: skip
SIGNAL_WARN_DAYS, SIGNAL_TOO_OLD_DAYS = 60, 90
LOW_DISK, FULL_DISK = 1024**3, 100 * 1024**2
BACKUP_DAYS = 2


@dataclass(frozen=True)
class Check:
    name: str
    level: str
    text: str

    def line(self) -> str:
        return f"{self.level:<8} {self.name}: {self.text}"


async def run_checks(settings: Settings, today: date) -> list[Check]:
    checks = [await _content(settings), *_storage(settings, today)]
    if settings.telegram_token:
        checks += await _telegram(settings)
    if settings.signal_cli:
        checks.append(await _signal(settings.signal_cli, today))
    return checks


async def _content(settings: Settings) -> Check:
    try:
        result = await check_everything(settings.config_path, settings.content_dir)
    except ValidationFailed as exc:
        first = str(exc).splitlines()[0]
        return Check(
            _("content"), PROBLEM, first + " " + _("(python -m bot content check lists all)")
        )
    if result.config.example_data:
        return Check(
            _("config"), WARNING, _("still the example data: set BOT_CONFIG to your own file")
        )
    return Check(
        _("config"), OK, _("{count} topics").format(count=len(result.content.index.topics))
    )


def _storage(settings: Settings, today: date) -> list[Check]:
    checks = []
    if settings.key_from_environment:
        checks.append(Check(_("key"), OK, _("from BOT_SECRET_KEY")))
    else:
        checks.append(
            Check(_("key"), WARNING, _(
                "stored beside the database ({file}): in production pass BOT_SECRET_KEY from a "
                "secret store and delete the file"
            ).format(file=SECRET_FILE))
        )  # fmt: skip
    database = settings.database_path
    if not database.exists():
        checks.append(Check(_("database"), WARNING, _("none yet (created at the first start)")))
    else:
        try:
            with contextlib.closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as db:
                verdict = db.execute("PRAGMA integrity_check").fetchone()[0]
                row = db.execute(
                    "SELECT value FROM bot_settings WHERE key = ?", (LAST_BACKUP,)
                ).fetchone()
        except sqlite3.DatabaseError:
            verdict, row = "unreadable", None
        checks.append(
            Check(_("database"), OK, _("intact"))
            if verdict == "ok"
            else Check(
                _("database"), PROBLEM, _("damaged: stop the bot and restore the last backup")
            )
        )
        checks.append(_backup_age(row[0] if row else None, today))
    free = shutil.disk_usage(settings.data_dir).free
    level = PROBLEM if free < FULL_DISK else WARNING if free < LOW_DISK else OK
    checks.append(
        Check(
            _("disk"),
            level,
            _("{mb} MB free in {folder}").format(mb=free // 1024**2, folder=settings.data_dir),
        )
    )
    return checks


def _backup_age(last: str | None, today: date) -> Check:
    if last is None:
        return Check(_("backup"), WARNING, _("never: run python -m bot backup PATH daily"))
    days = (today - datetime.fromisoformat(last.replace("Z", "+00:00")).date()).days
    if days > BACKUP_DAYS:
        return Check(_("backup"), WARNING, _("the last one is {days} days old").format(days=days))
    return Check(_("backup"), OK, _("{days} days old").format(days=days))


async def _telegram(settings: Settings) -> list[Check]:
    assert settings.telegram_token is not None
    bot = Bot(
        settings.telegram_token,
        base_url=f"{settings.telegram_api_url}/bot",
        base_file_url=f"{settings.telegram_api_url}/file/bot",
    )
    try:
        async with bot:  # getMe
            checks = [
                Check(
                    "Telegram", OK, _("the token is accepted (@{name})").format(name=bot.username)
                )
            ]
            if settings.staff_chat_id is not None:
                checks.append(await _staff_group(bot, settings.staff_chat_id))
            else:
                checks.append(
                    Check(_("staff group"), WARNING, _("none: set TELEGRAM_STAFF_CHAT_ID"))
                )
            return checks
    except InvalidToken:
        return [Check("Telegram", PROBLEM, _("the token was rejected: check TELEGRAM_BOT_TOKEN"))]
    except TelegramError as exc:
        return [
            Check("Telegram", PROBLEM, _("unreachable ({error})").format(error=redact(exc.message)))
        ]


async def _staff_group(bot: Bot, chat_id: int) -> Check:
    try:
        chat = await bot.get_chat(chat_id)
        member = await bot.get_chat_member(chat_id, bot.id)
    except ChatMigrated:
        return Check(
            _("staff group"), WARNING, _("became a supergroup: the bot follows it when it runs")
        )
    except TelegramError as exc:
        return Check(_("staff group"), PROBLEM, _(
            "unreachable ({error}): add the bot to the group and check TELEGRAM_STAFF_CHAT_ID"
        ).format(error=redact(exc.message)))  # fmt: skip
    if member.status not in {ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER}:
        return Check(_("staff group"), PROBLEM, _("the bot is not an administrator: make it one"))
    if chat.type == ChatType.GROUP or not chat.is_forum:
        return Check(
            _("staff group"), WARNING, _("topics are off: turn them on in the group settings")
        )
    if not getattr(member, "can_manage_topics", False):
        return Check(
            _("staff group"), WARNING, _("the bot cannot manage topics: give it that right")
        )
    return Check(_("staff group"), OK, _("reachable, the bot is an administrator, topics are on"))


async def _signal(address: str, today: date) -> Check:
    """signal-cli's `version` (commands/VersionCommand.java). A daemon started with -a only
    runs for a registered account, so reaching it says the account is registered."""
    where = parse_address(address)
    try:
        if isinstance(where, tuple):
            reader, writer = await asyncio.wait_for(asyncio.open_connection(*where), 5)
        else:
            reader, writer = await asyncio.wait_for(asyncio.open_unix_connection(where), 5)
    except (OSError, TimeoutError):
        return Check(
            "signal-cli",
            PROBLEM,
            _("not reachable at {address}: start its daemon").format(address=address),
        )
    try:
        writer.write(b'{"jsonrpc":"2.0","id":1,"method":"version"}\n')
        await writer.drain()
        while True:
            answer = json.loads(await asyncio.wait_for(reader.readline(), 5))
            if answer.get("id") == 1:
                break
    except (OSError, TimeoutError, ValueError):
        return Check("signal-cli", PROBLEM, _("reachable but not answering JSON-RPC"))
    finally:
        writer.close()
    version = str((answer.get("result") or {}).get("version", "?"))
    released = SIGNAL_CLI_RELEASES.get(version)
    if released is None:
        return Check("signal-cli", OK, _("version {version}").format(version=version))
    age = (today - date.fromisoformat(released)).days
    if age > SIGNAL_TOO_OLD_DAYS:
        level = PROBLEM
    elif age > SIGNAL_WARN_DAYS:
        level = WARNING
    else:
        return Check(
            "signal-cli",
            OK,
            _("version {version}, released {days} days ago").format(version=version, days=age),
        )
    return Check("signal-cli", level, _(
        "version {version} is {days} days old: Signal stops serving clients about three months "
        "old, update signal-cli"
    ).format(version=version, days=age))  # fmt: skip


def today_utc() -> date:
    return datetime.now(UTC).date()


def short_status(checks: list[Check]) -> str:
    """For /status in the staff group: one line each, the level as a sign."""
    signs = {OK: "✓", WARNING: "⚠️", PROBLEM: "❌"}
    return "\n".join(f"{signs[c.level]} {c.name}: {c.text}" for c in checks)


def report(checks: list[Check]) -> tuple[str, int]:
    """The lines to print, and the exit code: 1 if anything is a problem."""
    return "\n".join(check.line() for check in checks), int(
        any(check.level == PROBLEM for check in checks)
    )
