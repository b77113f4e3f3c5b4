"""`python -m bot doctor` and /status: against the fake Bot API and the fake signal-cli, in
good and broken states."""

from __future__ import annotations

import asyncio
import sys
from datetime import UTC, date, datetime
from pathlib import Path

from bot.backup import backup
from bot.doctor import PROBLEM, WARNING, report, run_checks
from bot.settings import load_settings
from tests.conftest import ROOT, STAFF_CHAT, RunningBot, TelegramPerson
from tests.fakes.bot_api import FakeBotAPI
from tests.fakes.signal_cli import FakeSignalCli
from tests.test_talk import _staff

SUMMER = date(2026, 8, 1)  # signal-cli 0.14.6 is 20 days old then


def levels(checks: list) -> dict[str, str]:
    return {check.name: check.level for check in checks}


async def test_a_healthy_installation_has_no_problem(
    running_bot: RunningBot, maria: TelegramPerson, env: dict[str, str], staff_chat: int,
    signal_cli: FakeSignalCli, tmp_path: Path,
) -> None:  # fmt: skip
    async with running_bot():
        await maria.send("/start")
    settings = load_settings(env)
    backup(settings.database_path, tmp_path / "copy.sqlite3", now=datetime(2026, 7, 31, tzinfo=UTC))
    checks = await run_checks(settings, SUMMER)
    found = levels(checks)
    assert found["Telegram"] == found["staff group"] == found["database"] == "ok"
    assert found["signal-cli"] == found["key"] == found["disk"] == found["backup"] == "ok"
    assert found["config"] == WARNING  # the tests run on the example data
    text, code = report(checks)
    assert code == 0
    assert env["TELEGRAM_BOT_TOKEN"] not in text


async def test_what_is_broken_is_a_problem_with_what_to_do(
    bot_api: FakeBotAPI, env: dict[str, str], signal_cli: FakeSignalCli
) -> None:
    bot_api.open_group_chat(STAFF_CHAT, "Team", forum=False, bot_admin=False)
    env["TELEGRAM_STAFF_CHAT_ID"] = str(STAFF_CHAT)
    settings = load_settings(env)
    found = levels(await run_checks(settings, date(2026, 11, 24)))
    assert found["staff group"] == PROBLEM  # the bot is not an administrator
    assert found["signal-cli"] == PROBLEM  # 0.14.6 is more than three months old by then
    assert found["database"] == WARNING  # none yet
    settings.database_path.write_bytes(b"not a database " * 200)
    assert levels(await run_checks(settings, SUMMER))["database"] == PROBLEM

    await signal_cli.stop()
    env["TELEGRAM_BOT_TOKEN"] = "111111111:AAwrong-token-rejected-by-the-fake-xx"
    checks = await run_checks(load_settings(env), SUMMER)
    found = levels(checks)
    assert found["Telegram"] == PROBLEM and found["signal-cli"] == PROBLEM
    text, code = report(checks)
    assert code == 1
    assert "check TELEGRAM_BOT_TOKEN" in text and "start its daemon" in text
    assert "AAwrong-token" not in text


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
    running_bot: RunningBot, bot_api: FakeBotAPI, staff_chat: int
) -> None:
    async with running_bot():
        answer = await _staff(bot_api, "/status")
    # In the staff group's language.
    assert "✓ Telegram: le jeton est accepté" in answer
    assert "✓ base de données: intacte" in answer
    assert "⚠️ sauvegarde: jamais" in answer
