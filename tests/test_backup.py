"""Backups taken while the bot serves, and restoring one."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from bot.backup import running
from bot.doctor import run_checks, today_utc
from bot.settings import load_settings
from tests.conftest import ROOT, RunningBot, TelegramPerson


def cli(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], env={**env, "PATH": "/usr/bin:/bin"},
        capture_output=True, text=True, cwd=ROOT, timeout=60,
    )  # fmt: skip


async def test_a_backup_taken_while_serving_restores_the_state_it_had(
    running_bot: RunningBot, maria: TelegramPerson, env: dict[str, str], tmp_path: Path
) -> None:
    copy = tmp_path / "backups" / "parapluie-2026-11-24.sqlite3"
    copy.parent.mkdir()
    async with running_bot():
        await maria.send("/language nl")
        taken = cli(["backup", str(copy)], env)  # the bot goes on serving meanwhile
        assert taken.returncode == 0, taken.stderr
        assert "useless without the key" in taken.stdout
        assert "Hallo" in (await maria.send("/start")).text
        await maria.send("/language en")
        assert "Hello" in (await maria.send("/start")).text
    assert copy.stat().st_mode & 0o777 == 0o600
    assert copy.read_bytes().startswith(b"SQLite format 3")
    assert str(maria.user.id).encode() not in copy.read_bytes()

    restored = cli(["restore", str(copy)], env)
    assert restored.returncode == 0, restored.stderr
    async with running_bot():
        assert "Hallo" in (await maria.send("/start")).text  # the state of the backup
    # The restored database still knows when its backup was taken.
    backup_line = [
        c for c in await run_checks(load_settings(env), today_utc()) if c.name == "backup"
    ]
    assert backup_line[0].level == "ok", backup_line


def test_restoring_is_refused_while_the_bot_runs(env: dict[str, str], tmp_path: Path) -> None:
    data = Path(env["BOT_DATA_DIR"])
    copy = tmp_path / "copy.sqlite3"
    first = cli(["chat", "--lang", "en"], env)  # creates the database
    assert first.returncode == 0, first.stderr
    assert cli(["backup", str(copy)], env).returncode == 0
    with running(data):
        refused = cli(["restore", str(copy)], env)
    assert refused.returncode == 1
    assert "stop it before restoring" in refused.stderr
    damaged = tmp_path / "damaged.sqlite3"
    damaged.write_bytes(b"not a database at all" * 100)
    assert "not a Parapluie backup" in cli(["restore", str(damaged)], env).stderr
