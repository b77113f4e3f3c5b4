"""What an operator meets: who can answer, a rejected token, a proxy, a network down at start."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.conftest import ROOT, STAFF_CHAT, RunningBot, SignalPerson, TelegramPerson
from tests.fakes.bot_api import FakeBotAPI, FakeUser
from tests.test_relay_limits import talk_on_signal
from tests.test_talk import copies_in, open_conversation
from tests.test_terminal import run_cli

NOBODY = "Nobody from the team reads this chat."


def test_the_terminal_says_nobody_reads_it_and_gives_phones_instead(tmp_path: Path) -> None:
    result = run_cli(["chat", "--lang", "en"], "/talk\nI need help with my papers\n", tmp_path)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert NOBODY in out
    assert "071 31 40 42" in out and "112" in out  # the organisation's phones, then emergencies
    assert "Sent" not in out


async def test_without_a_staff_group_talk_shows_phones_and_nothing_is_queued(
    running_bot: RunningBot, bot_api: FakeBotAPI, caplog: Any
) -> None:
    rodica = TelegramPerson(
        bot_api, FakeUser(id=5550015001, first_name="Rodica", username=None, language_code="en")
    )
    async with running_bot() as runtime:
        assert "no_staff_chat" in caplog.text
        menu = await rodica.send("/start")
        topic = await rodica.tap(menu, "PEP")
        offer = await rodica.tap(topic, "Talk to a person")
        assert NOBODY in offer.text and "112" in offer.text
        assert not [label for label in offer.button_labels() if "Write to the team" in label]
        answer = await rodica.send("hello is anyone there")
        assert "Sent" not in answer.text
        assert await runtime.store.outbox_size() == 0


def bot_env(tmp_path: Path, api_url: str, token: str) -> dict[str, str]:
    return {
        "BOT_DATA_DIR": str(tmp_path / "data"),
        "BOT_SECRET_KEY": "operations-test-secret-key-0123456789abcdef",
        "PATH": "/usr/bin:/bin",
        "TELEGRAM_BOT_TOKEN": token,
        "TELEGRAM_API_URL": api_url,
    }


async def start_bot(env: dict[str, str]) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", env=env, cwd=ROOT,
        stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip


async def test_a_rejected_token_is_one_clear_line_and_never_printed(
    bot_api: FakeBotAPI, tmp_path: Path
) -> None:
    wrong = "987654321:AAHfake-rejected-token-for-the-test_0123"
    bot = await start_bot(bot_env(tmp_path, bot_api.url, wrong))
    _out, err = await asyncio.wait_for(bot.communicate(), 60)
    stderr = err.decode()
    assert bot.returncode == 1
    assert "check TELEGRAM_BOT_TOKEN" in stderr
    assert wrong not in stderr and wrong.split(":")[1] not in stderr
    assert "Traceback" not in stderr
    assert "Unclosed" not in stderr  # no session left open behind the failure


async def test_telegram_unreachable_at_start_is_waited_out_then_served(
    tmp_path: Path, bot_api: FakeBotAPI
) -> None:
    """The fake server comes up on the port the bot has been trying meanwhile."""
    await bot_api.stop()
    with socket.socket() as probe:  # a free port, with nobody listening yet
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    bot = await start_bot(bot_env(tmp_path, url, bot_api.token))
    assert bot.stderr is not None
    seen = b""
    while b"telegram_unreachable" not in seen:
        line = await asyncio.wait_for(bot.stderr.readline(), 30)
        assert line, f"the bot ended instead of waiting for Telegram:\n{seen.decode()}"
        seen += line
    await bot_api.start(port)
    maria = TelegramPerson(
        bot_api, FakeUser(id=5550015002, first_name="Maria", username=None, language_code="en")
    )
    bot_api.user_sends(maria.user, "/start")
    await bot_api.wait_for(lambda: bool(bot_api.bot_messages(maria.user.id)), timeout=60)
    assert "Hello" in bot_api.bot_messages(maria.user.id)[0].text
    bot.send_signal(signal.SIGTERM)
    _out, err = await asyncio.wait_for(bot.communicate(), 30)
    assert bot.returncode == 0, err.decode()
    assert "Unclosed" not in err.decode()


class RecordingProxy:
    """An HTTP forward proxy that records the first request of each connection it carries
    (absolute-form request lines: the tests speak plain HTTP to the fake server, so there is
    no CONNECT; later requests on a kept-alive connection pass through as they are)."""

    def __init__(self) -> None:
        self.seen: list[str] = []
        self.url = ""
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.url = f"http://127.0.0.1:{self._server.sockets[0].getsockname()[1]}"

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        first = await reader.readline()
        if not first:
            writer.close()
            return
        self.seen.append(first.decode().strip())
        method, url, version = first.decode().split(" ", 2)
        target = urlsplit(url)
        up_reader, up_writer = await asyncio.open_connection(target.hostname, target.port)
        # As real proxies do: the server gets the origin form (telegram-bot-api's
        # HttpConnection.cpp refuses an absolute URI in the request line).
        path = target.path + (f"?{target.query}" if target.query else "")
        up_writer.write(f"{method} {path} {version}".encode())

        async def pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            with contextlib.suppress(ConnectionError):
                while chunk := await source.read(65536):
                    sink.write(chunk)
                    await sink.drain()
            sink.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))


async def test_the_proxy_from_the_environment_carries_every_request_unless_no_proxy(
    running_bot: RunningBot, bot_api: FakeBotAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    proxy = RecordingProxy()
    await proxy.start()
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    monkeypatch.setenv("HTTPS_PROXY", proxy.url)
    maria = TelegramPerson(
        bot_api, FakeUser(id=5550015003, first_name="Maria", username=None, language_code="en")
    )
    try:
        async with running_bot():
            await maria.send("/start")
        assert any(f"{bot_api.url}/bot" in line for line in proxy.seen), proxy.seen

        proxy.seen.clear()
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
        async with running_bot():
            await maria.send("/start")
        assert proxy.seen == []
    finally:
        await proxy.stop()


async def test_an_edit_made_while_its_message_is_on_its_way_is_applied_not_dropped(
    running_bot: RunningBot, bot_api: FakeBotAPI, staff_chat: int
) -> None:
    """The copy exists in the staff group, but Telegram's answer (and so the bot's record of
    where the copy landed) is still on its way when the person corrects the message."""
    rodica = TelegramPerson(
        bot_api, FakeUser(id=5550015004, first_name="Rodica", username=None, language_code="en")
    )
    async with running_bot():
        await open_conversation(rodica)
        bot_api.slow_answers["copyMessage"] = 0.5
        first = bot_api.user_sends(rodica.user, "I am in Mosn")
        await bot_api.wait_for(lambda: len(copies_in(bot_api, STAFF_CHAT)) == 1)
        bot_api.user_edits(rodica.user, first, "I am in Mons")
        copy = copies_in(bot_api, STAFF_CHAT)[0]
        await bot_api.wait_for(lambda: copy.text == "I am in Mons")
    assert len(copies_in(bot_api, STAFF_CHAT)) == 1


async def test_a_signal_edit_made_while_its_message_is_being_posted_is_applied(
    running_bot: RunningBot, ana: SignalPerson, bot_api: FakeBotAPI, staff_chat: int
) -> None:
    async with running_bot():
        await talk_on_signal(ana)
        bot_api.slow_answers["sendMessage"] = 0.5
        first = ana.daemon.message_envelope(ana.user, "Je suis a Mons")
        await ana.daemon.deliver(first)
        staff = bot_api.messages[STAFF_CHAT]
        await bot_api.wait_for(lambda: any(m.text == "Je suis a Mons" for m in staff.values()))
        edit = ana.daemon.envelope(
            ana.user,
            editMessage={
                "targetSentTimestamp": first["timestamp"],
                "dataMessage": {"timestamp": 1, "message": "Je suis à Mons"},
            },
        )
        await ana.deliver(edit)
        await bot_api.wait_for(lambda: any(m.text == "Je suis à Mons" for m in staff.values()))
    assert not any(m.text == "Je suis a Mons" for m in staff.values())


async def test_a_staff_group_telegram_does_not_know_takes_no_conversation(
    running_bot: RunningBot, bot_api: FakeBotAPI, env: dict[str, str], caplog: Any
) -> None:
    env["TELEGRAM_STAFF_CHAT_ID"] = "-100777"  # a group the bot is not in
    rodica = TelegramPerson(
        bot_api, FakeUser(id=5550015005, first_name="Rodica", username=None, language_code="en")
    )
    async with running_bot() as runtime:
        assert "staff_chat_unreachable" in caplog.text
        offer = await rodica.send("/talk")
        assert NOBODY in offer.text
        await rodica.send("hello?")
        assert await runtime.store.outbox_size() == 0
