"""Exit codes an init system or a script understands, and one clear line each time."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT


def run(args: list[str], tmp_path: Path, **extra: str) -> subprocess.CompletedProcess[str]:
    env = {
        "BOT_DATA_DIR": str(tmp_path / "data"),
        "BOT_SECRET_KEY": "exit-codes-test-secret-key-0123456789abcdef",
        "PATH": "/usr/bin:/bin",
        **extra,
    }
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], input="", env=env, capture_output=True,
        text=True, cwd=ROOT, timeout=60,
    )  # fmt: skip


def one_line(result: subprocess.CompletedProcess[str], *words: str) -> None:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert all(word in lines[0] for word in words), lines[0]


def test_a_bad_log_level_is_one_line_and_exit_2(tmp_path: Path) -> None:
    result = run(["content", "check"], tmp_path, LOG_LEVEL="LOUD")
    assert result.returncode == 2
    one_line(result, "LOG_LEVEL", "'LOUD'")


def test_a_language_that_is_not_configured_is_one_line_and_exit_2(tmp_path: Path) -> None:
    result = run(["chat", "--lang", "xx"], tmp_path, LOG_LEVEL="ERROR")
    assert result.returncode == 2
    one_line(result, "--lang", "'xx'", "fr")


def test_a_number_of_days_out_of_range_is_one_line_and_exit_2(tmp_path: Path) -> None:
    for days in ("0", "400", "-3", "week"):
        result = run(["agenda", "--days", days], tmp_path)
        assert result.returncode == 2
        assert "--days" in result.stderr and "1 to 366" in result.stderr


def test_content_check_writes_no_key_and_no_database(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot", "content", "check"],
        env={"BOT_DATA_DIR": str(tmp_path / "data"), "PATH": "/usr/bin:/bin"},
        capture_output=True, text=True, cwd=ROOT, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ok:")
    assert not (tmp_path / "data").exists()
    assert "secret_key" not in result.stderr


def test_content_check_runs_where_nothing_can_be_written(tmp_path: Path) -> None:
    """A read-only data folder stays empty, a data folder that cannot exist (under a file, so
    even root cannot create it) is no error, and nothing lands in the working directory."""
    read_only = tmp_path / "read-only"
    read_only.mkdir(mode=0o555)
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    workdir = tmp_path / "workdir"
    workdir.mkdir()
    for data_dir in (read_only, blocked / "data"):
        result = subprocess.run(
            [sys.executable, "-m", "bot", "content", "check"],
            env={"BOT_DATA_DIR": str(data_dir), "PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)},
            capture_output=True, text=True, cwd=workdir, timeout=60,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        assert result.stdout.startswith("ok:")
    assert list(read_only.iterdir()) == [] and list(workdir.iterdir()) == []
