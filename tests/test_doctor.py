"""`python -m bot doctor` and /status: against the fake Bot API and the fake signal-cli, in
good and broken states."""

from __future__ import annotations

import asyncio
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import yaml

from bot.backup import backup, running
from bot.doctor import OK, PROBLEM, WARNING, Check, report, run_checks
from bot.resources import EXAMPLE_CONFIG
from bot.settings import load_settings
from tests.conftest import ROOT, STAFF_CHAT, RunningBot, SignalPerson, TelegramPerson
from tests.fakes.bot_api import FakeBotAPI
from tests.fakes.signal_cli import FakeSignalCli
from tests.test_talk import NURSE, _staff

SUMMER = date(2026, 8, 1)  # signal-cli 0.14.6 is 20 days old then


def levels(checks: list[Check]) -> dict[str, str]:
    return {check.name: check.level for check in checks}


def line(checks: list[Check], name: str) -> str:
    return next(check.line() for check in checks if check.name == name)


async def test_a_healthy_installation_has_no_problem(
    running_bot: RunningBot, maria: TelegramPerson, env: dict[str, str], staff_chat: int,
    signal_cli: FakeSignalCli, tmp_path: Path,
) -> None:  # fmt: skip
    settings = load_settings(env)
    async with running_bot():
        await maria.send("/start")
        yesterday = datetime(2026, 7, 31, tzinfo=UTC)
        backup(settings.database_path, tmp_path / "copy.sqlite3", now=yesterday)
        with running(settings.data_dir):  # what `python -m bot run` holds while it serves
            checks = await run_checks(settings, SUMMER)
    found = levels(checks)
    assert found["Telegram"] == found["staff group"] == found["database"] == OK
    assert found["signal-cli"] == found["Signal account"] == OK
    assert found["key"] == found["disk"] == found["backup"] == OK
    assert found["config"] == WARNING  # the tests run on the example data
    text, code = report(checks)
    assert code == 0
    assert env["TELEGRAM_BOT_TOKEN"] not in text and signal_cli.account not in text


async def test_what_is_broken_is_a_problem_with_what_to_do(
    bot_api: FakeBotAPI, env: dict[str, str], signal_cli: FakeSignalCli
) -> None:
    bot_api.open_group_chat(STAFF_CHAT, "Team", forum=False, bot_admin=False)
    env["TELEGRAM_STAFF_CHAT_ID"] = str(STAFF_CHAT)
    settings = load_settings(env)
    found = levels(await run_checks(settings, date(2026, 11, 24), serving=True))
    assert found["staff group"] == PROBLEM  # the bot is not an administrator
    assert found["signal-cli"] == PROBLEM  # 0.14.6 is more than three months old by then
    assert found["database"] == WARNING  # none yet
    settings.database_path.write_bytes(b"not a database " * 200)
    assert levels(await run_checks(settings, SUMMER))["database"] == PROBLEM

    await signal_cli.stop()
    env["TELEGRAM_BOT_TOKEN"] = "111111111:AAwrong-token-rejected-by-the-fake-xx"
    checks = await run_checks(load_settings(env), SUMMER, serving=True)
    found = levels(checks)
    assert found["Telegram"] == PROBLEM and found["signal-cli"] == PROBLEM
    text, code = report(checks)
    assert code == 1
    assert "check TELEGRAM_BOT_TOKEN" in text and "start its daemon" in text
    assert "AAwrong-token" not in text


async def test_a_staff_group_telegram_does_not_know_is_a_problem(
    bot_api: FakeBotAPI, env: dict[str, str]
) -> None:
    env["TELEGRAM_STAFF_CHAT_ID"] = "-1009876543"  # a typo, or the bot was never added
    checks = await run_checks(load_settings(env), SUMMER)
    assert levels(checks)["Telegram"] == OK
    assert levels(checks)["staff group"] == PROBLEM
    what_to_do = "add the bot to the group and check TELEGRAM_STAFF_CHAT_ID"
    assert what_to_do in line(checks, "staff group")
    assert "9876543" not in report(checks)[0]


async def test_the_staff_group_is_checked_where_the_bot_finds_it(
    bot_api: FakeBotAPI, env: dict[str, str], tmp_path: Path
) -> None:
    """Named in the config rather than TELEGRAM_STAFF_CHAT_ID, and since then given topics,
    which made it a supergroup with a new id: the bot follows it, so the doctor does too."""
    old = -4001234
    config = yaml.safe_load(EXAMPLE_CONFIG.read_text())
    config["staff"]["telegram_chat_id"] = old
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(config, allow_unicode=True))
    env["BOT_CONFIG"] = str(tmp_path / "config.yaml")
    bot_api.open_group_chat(old, "Team", basic=True)
    bot_api.staff_enables_topics(NURSE, old, STAFF_CHAT)
    checks = await run_checks(load_settings(env), SUMMER)
    assert levels(checks)["staff group"] == OK, line(checks, "staff group")


async def test_a_bot_that_cannot_delete_forgotten_topics_is_a_problem(
    bot_api: FakeBotAPI, env: dict[str, str], staff_chat: int, tmp_path: Path
) -> None:
    """With delete_forgotten_topics, /forget deletes the person's topic: Telegram refuses
    without the right to delete messages, and the topic would stay with everything in it."""
    config = yaml.safe_load(EXAMPLE_CONFIG.read_text())
    config["staff"]["delete_forgotten_topics"] = True
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(config, allow_unicode=True))
    env["BOT_CONFIG"] = str(tmp_path / "config.yaml")
    assert levels(await run_checks(load_settings(env), SUMMER))["staff group"] == OK
    granted = bot_api.api_getChatMember

    async def without_delete(params: dict[str, Any]) -> dict[str, Any]:
        return {**await granted(params), "can_delete_messages": False}

    bot_api.api_getChatMember = without_delete  # type: ignore[method-assign]
    checks = await run_checks(load_settings(env), SUMMER)
    assert levels(checks)["staff group"] == PROBLEM
    assert "delete messages" in line(checks, "staff group")


async def test_the_doctor_leaves_messages_waiting_on_signals_server_while_the_bot_is_stopped(
    running_bot: RunningBot, ana: SignalPerson, signal_cli: FakeSignalCli, env: dict[str, str]
) -> None:
    """With --receive-mode on-connection, any client that connects makes signal-cli take the
    messages waiting on Signal's server and hand them to that client: the doctor would take
    them from the bot, for ever."""
    async with running_bot():
        await ana.send("bonjour")
    await signal_cli.deliver(signal_cli.message_envelope(ana.user, "prep"))
    checks = await run_checks(load_settings(env), SUMMER)
    assert levels(checks)["signal-cli"] == WARNING
    assert "start the bot" in line(checks, "signal-cli")
    assert len(signal_cli.on_server) == 1  # still waiting for the bot
    before = len(ana.inbox)
    async with running_bot():
        await signal_cli.wait_for(lambda: len(ana.inbox) > before, timeout=30)
    assert "PrEP" in ana.inbox[-1].text


class MultiAccountSignalCli(FakeSignalCli):
    """signal-cli started without -a: listAccounts answers the accounts it holds
    (commands/ListAccountsCommand.java); with -a it answers "Method not implemented"
    (jsonrpc/SignalJsonRpcCommandHandler.java), as the fake does."""

    def rpc_listAccounts(self, params: dict[str, Any]) -> list[dict[str, str]]:
        return [{"number": "+32470999999"}]


async def test_signal_cli_serving_several_accounts_is_a_problem(env: dict[str, str]) -> None:
    daemon = MultiAccountSignalCli()
    await daemon.start()
    try:
        env["SIGNAL_ACCOUNT"], env["SIGNAL_CLI"] = daemon.account, daemon.address
        checks = await run_checks(load_settings(env), SUMMER, serving=True)
    finally:
        await daemon.stop()
    assert levels(checks)["signal-cli"] == OK
    assert levels(checks)["Signal account"] == PROBLEM
    assert "-a" in line(checks, "Signal account")
    assert "+32470" not in report(checks)[0]


async def test_signal_cli_versions_are_dated_by_the_nearest_release(
    env: dict[str, str], signal_cli: FakeSignalCli
) -> None:
    async def level(version: str, today: date) -> str:
        signal_cli.version = version
        found = levels(await run_checks(load_settings(env), today, serving=True))
        return found["signal-cli"]

    assert await level("0.12.8", SUMMER) == PROBLEM  # older than any release known here
    assert await level("0.14.7-SNAPSHOT", SUMMER) == OK  # newer than any
    assert await level("0.14.4.1", date(2026, 7, 1)) == OK  # as old as 0.14.4 at most
    assert await level("0.14.4.1", SUMMER) == WARNING  # 70 days: update soon
    assert await level("unknown", SUMMER) == WARNING


async def test_the_doctor_command_exits_non_zero_on_a_problem_and_prints_no_secret(
    bot_api: FakeBotAPI, env: dict[str, str]
) -> None:
    wrong = "222222222:AAanother-wrong-token-for-the-doctor"
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "doctor",
        env={**env, "TELEGRAM_BOT_TOKEN": wrong, "PATH": "/usr/bin:/bin"}, cwd=ROOT,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 1
    assert "problem  Telegram: the token was rejected" in out.decode()
    assert wrong not in out.decode() + err.decode()


async def test_status_in_the_staff_group(
    running_bot: RunningBot, bot_api: FakeBotAPI, staff_chat: int, signal_cli: FakeSignalCli
) -> None:
    async with running_bot():
        answer = await _staff(bot_api, "/status")
    # In the staff group's language.
    assert "✓ Telegram: le jeton est accepté" in answer
    assert "✓ base de données: intacte" in answer
    assert "⚠️ sauvegarde: jamais" in answer
    # The bot is connected to signal-cli, so asking it takes no message from the bot.
    assert "❌ signal-cli: la version 0.14.6 a" in answer  # 0.14.6 is four months old by then
