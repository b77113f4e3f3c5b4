"""The doctor's checks of the services the bot talks to: Telegram (the token, the staff group)
and signal-cli (reachable, its account, its age). Nothing here prints a token or an identifier:
Telegram's error messages go through redact(), and the Signal number is never written."""

from __future__ import annotations

import asyncio
import json
import re
from datetime import date
from typing import Any

from telegram import Bot
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import ChatMigrated, InvalidToken, TelegramError

from bot.channels.signal_rpc import parse_address
from bot.channels.telegram_http import AiohttpRequest
from bot.doctor_check import OK, PROBLEM, WARNING, Check
from bot.i18n import _
from bot.logs import redact

# signal-cli's releases (its CHANGELOG.md). Signal's servers stop serving clients about three
# months old; a version between two of these is dated by the older one, a version newer than
# all of them is newer than anything known when this table was written.
SIGNAL_CLI_RELEASES = {
    "0.14.6": "2026-07-12", "0.14.5": "2026-06-11", "0.14.4": "2026-05-23",
    "0.14.3": "2026-04-22", "0.14.2": "2026-04-04", "0.14.1": "2026-03-08",
    "0.14.0": "2026-03-01", "0.13.24": "2026-02-05", "0.13.23": "2026-01-24",
    "0.13.22": "2025-11-14", "0.13.21": "2025-10-25", "0.13.20": "2025-09-23",
}  # fmt: skip
SIGNAL_WARN_DAYS, SIGNAL_TOO_OLD_DAYS = 60, 90
# jsonrpc/JsonRpcResponse.java: METHOD_NOT_FOUND, what a daemon started with -a answers to
# listAccounts, a command of multi-account mode only (jsonrpc/SignalJsonRpcCommandHandler.java).
METHOD_NOT_FOUND = -32601


async def telegram_checks(
    token: str,
    api_url: str,
    staff_chat_id: int | None,
    moved: dict[int, int],
    deletes_topics: bool = False,
) -> list[Check]:
    """`deletes_topics`: the config deletes a forgotten person's topic (staff
    delete_forgotten_topics), which Telegram allows only with the right to delete messages."""
    # The same HTTP layer as the bot (bot/channels/telegram.py), so the same proxy settings.
    bot = Bot(
        token,
        base_url=f"{api_url}/bot",
        base_file_url=f"{api_url}/file/bot",
        request=AiohttpRequest(connection_pool_size=1),
        get_updates_request=AiohttpRequest(connection_pool_size=1),
    )
    try:
        async with bot:  # getMe
            checks = [
                Check(
                    "Telegram", OK, _("the token is accepted (@{name})").format(name=bot.username)
                )
            ]
            if staff_chat_id is None:
                checks.append(
                    Check(_("staff group"), WARNING, _("none: set TELEGRAM_STAFF_CHAT_ID"))
                )
            else:
                chat_id = moved.get(staff_chat_id, staff_chat_id)
                checks.append(await _staff_group(bot, chat_id, deletes_topics))
            return checks
    except InvalidToken:
        return [Check("Telegram", PROBLEM, _("the token was rejected: check TELEGRAM_BOT_TOKEN"))]
    except TelegramError as exc:
        return [
            Check("Telegram", PROBLEM, _("unreachable ({error})").format(error=redact(exc.message)))
        ]


async def _staff_group(
    bot: Bot, chat_id: int, deletes_topics: bool, followed: bool = False
) -> Check:
    try:
        chat = await bot.get_chat(chat_id)
        member = await bot.get_chat_member(chat_id, bot.id)
    except ChatMigrated as exc:
        # Topics turned on made it a supergroup with a new id; the running bot follows it
        # (bot/channels/telegram_staff.py follow_migration), so the new group is the one to check.
        if followed:
            return Check(
                _("staff group"), WARNING, _("became a supergroup: the bot follows it when it runs")
            )
        return await _staff_group(bot, exc.new_chat_id, deletes_topics, followed=True)
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
    if deletes_topics and not getattr(member, "can_delete_messages", False):
        # Bot API deleteForumTopic needs can_delete_messages: without it the topic of a person
        # who asked to be forgotten stays, with everything in it.
        return Check(_("staff group"), PROBLEM, _(
            "the bot cannot delete messages, so forgotten conversations' topics stay: give it "
            "that right"
        ))  # fmt: skip
    return Check(_("staff group"), OK, _("reachable, the bot is an administrator, topics are on"))


async def _ask_signal_cli(address: str, methods: list[str]) -> list[dict[str, Any]]:
    """One JSON-RPC answer per method, on one connection. Notifications (messages received
    for the bot, which is connected too) are skipped: the bot gets its own copy."""
    where = parse_address(address)
    limit = 1 << 24  # a notification carries a whole message, attachments announced
    if isinstance(where, tuple):
        connecting = asyncio.open_connection(*where, limit=limit)
    else:
        connecting = asyncio.open_unix_connection(where, limit=limit)
    reader, writer = await asyncio.wait_for(connecting, 5)
    try:
        for number, method in enumerate(methods, 1):
            request = {"jsonrpc": "2.0", "id": number, "method": method}
            writer.write(json.dumps(request).encode() + b"\n")
        await writer.drain()
        answers: dict[int, dict[str, Any]] = {}
        while len(answers) < len(methods):
            line = await asyncio.wait_for(reader.readline(), 5)
            if not line:
                raise ConnectionError("signal-cli closed the connection")
            message = json.loads(line)
            if isinstance(message, dict) and isinstance(message.get("id"), int):
                answers[message["id"]] = message
        return [answers[number] for number in range(1, len(methods) + 1)]
    finally:
        writer.close()


async def signal_checks(address: str, today: date, serving: bool) -> list[Check]:
    if not serving:
        # README's daemon runs with --receive-mode on-connection: any client that connects
        # makes signal-cli take the messages waiting on Signal's server and hand them to that
        # client (jsonrpc/SignalJsonRpcDispatcherHandler.java handleConnection). With the bot
        # stopped, the doctor would be that client, and those messages would be lost.
        return [
            Check("signal-cli", WARNING, _(
                "not checked while the bot is stopped (connecting would take the messages "
                "waiting on Signal's server): start the bot, then run the doctor again"
            ))
        ]  # fmt: skip
    try:
        version_answer, accounts_answer = await _ask_signal_cli(
            address, ["version", "listAccounts"]
        )
    except (OSError, TimeoutError):
        return [
            Check(
                "signal-cli",
                PROBLEM,
                _("not reachable at {address}: start its daemon").format(address=address),
            )
        ]
    except ValueError:
        return [Check("signal-cli", PROBLEM, _("reachable but not answering JSON-RPC"))]
    result = version_answer.get("result")
    version = str(result.get("version")) if isinstance(result, dict) else "unknown"
    return [_version_check(version, today), _account_check(accounts_answer)]


def _version_key(version: str) -> tuple[int, ...] | None:
    found = re.match(r"\d+(?:\.\d+)*", version)
    return tuple(int(part) for part in found.group().split(".")) if found else None


def _version_check(version: str, today: date) -> Check:
    running = _version_key(version)
    releases = sorted(
        (_version_key(known) or (), date.fromisoformat(day))
        for known, day in SIGNAL_CLI_RELEASES.items()
    )
    if running is None:
        return Check("signal-cli", WARNING, _(
            "its version is unknown ({version}): check it is less than three months old"
        ).format(version=version))  # fmt: skip
    if running > releases[-1][0]:
        return Check("signal-cli", OK, _("version {version}").format(version=version))
    if running < releases[0][0]:
        age = (today - releases[0][1]).days
    else:
        age = (today - max(day for known, day in releases if known <= running)).days
    if age <= SIGNAL_WARN_DAYS:
        return Check(
            "signal-cli",
            OK,
            _("version {version}, released {days} days ago").format(version=version, days=age),
        )
    level = PROBLEM if age > SIGNAL_TOO_OLD_DAYS else WARNING
    return Check("signal-cli", level, _(
        "version {version} is {days} days old: Signal stops serving clients about three months "
        "old, update signal-cli"
    ).format(version=version, days=age))  # fmt: skip


def _account_check(answer: dict[str, Any]) -> Check:
    """A daemon started with -a ACCOUNT runs only for a registered account (App.java
    loadManager refuses an unregistered one) and answers listAccounts "Method not
    implemented". Started without -a it serves every account it holds, and the bot, which
    names none in its requests, could send nothing."""
    error = answer.get("error")
    if isinstance(error, dict) and error.get("code") == METHOD_NOT_FOUND:
        return Check(_("Signal account"), OK, _("registered (signal-cli runs for it alone)"))
    return Check(_("Signal account"), PROBLEM, _(
        "signal-cli runs without -a ACCOUNT: start its daemon as README shows"
    ))  # fmt: skip
