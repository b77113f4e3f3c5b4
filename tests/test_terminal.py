"""The terminal conversation, driven by scripted stdin as an operator or a script would."""

from __future__ import annotations

import asyncio
import io
import subprocess
import sys
from pathlib import Path

from prompt_toolkit.application import create_app_session
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput

from bot.channels.terminal import TerminalChannel
from bot.runtime import open_runtime
from bot.settings import load_settings
from tests.conftest import ROOT, FakeClock


def run_cli(args: list[str], stdin: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {
        "BOT_DATA_DIR": str(tmp_path / "data"),
        "BOT_SECRET_KEY": "terminal-test-secret-key-0123456789abcdef",
        "PATH": "/usr/bin:/bin",
        "USER": "tester",
    }
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=stdin,
        env=env,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )


def test_chat_with_scripted_stdin(tmp_path: Path) -> None:
    # 1 = PEP, 1 = read more, 0 = back to the menu, then a command.
    result = run_cli(["chat", "--lang", "en"], "1\n1\n0\n/language nl\n", tmp_path)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.index("Hello. I answer questions") < out.index("PEP: emergency treatment")
    assert "  1. 🚨 PEP – after a risk" in out
    assert "Where to go · 1/4" in out
    assert "CHU Marie-Curie (Charleroi)" in out
    assert "Taal: Nederlands." in out
    assert "<b>" not in out and "&amp;" not in out


def test_run_with_nothing_to_serve_and_no_terminal_fails_with_one_line(tmp_path: Path) -> None:
    """Under an init system (no terminal) a bot with nothing to serve must not look healthy."""
    result = run_cli(["run"], "2\n", tmp_path)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "TELEGRAM_BOT_TOKEN" in lines[0] and "python -m bot chat" in lines[0]
    assert result.stdout == ""


async def test_terminal_state_survives_a_restart(tmp_path: Path, clock: FakeClock) -> None:
    env = {"BOT_DATA_DIR": str(tmp_path / "data"), "BOT_SECRET_KEY": "k" * 40}
    settings = load_settings(env)

    async def session(lines: str, lang: str | None = None) -> str:
        out = io.StringIO()
        async with open_runtime(settings, clock) as runtime:
            await TerminalChannel(runtime.conversation, io.StringIO(lines), out, lang).run()
        return out.getvalue()

    first = await session("3\n", lang="fr")
    assert "Tests VIH, syphilis" in first
    # The next process remembers the chosen language.
    second = await session("2\n")
    assert "Bonjour" in second
    assert "PrEP : un médicament" in second


class Keyboard(io.StringIO):
    """Standard input as a terminal: the channel then reads with prompt_toolkit."""

    def isatty(self) -> bool:
        return True


async def test_in_a_terminal_line_editing_and_ctrl_d_or_ctrl_c_leave_at_once(
    tmp_path: Path, clock: FakeClock
) -> None:
    settings = load_settings({"BOT_DATA_DIR": str(tmp_path / "data"), "BOT_SECRET_KEY": "k" * 40})
    for leave in ("\x04", "\x03"):  # Ctrl-D, Ctrl-C
        out = io.StringIO()
        with create_pipe_input() as keys, create_app_session(input=keys, output=DummyOutput()):
            # "3" typed, erased with backspace, then "2": line editing, as in a shell.
            keys.send_text("3\x7f2\r" + leave)
            async with open_runtime(settings, clock) as runtime:
                channel = TerminalChannel(runtime.conversation, Keyboard(), out, "en")
                await asyncio.wait_for(channel.run(), 10)
        shown = out.getvalue()
        assert shown.startswith("Language: English. To change it, send /language.")
        assert "PrEP: a medicine" in shown and "Tests for HIV" not in shown
