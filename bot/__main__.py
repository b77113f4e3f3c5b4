"""Command line: `python -m bot run | chat [--lang L] | content check`."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys

from bot.channels.telegram import TelegramChannel
from bot.channels.terminal import TerminalChannel
from bot.checks import check_everything
from bot.errors import ValidationFailed
from bot.logs import setup_logging
from bot.runtime import Runtime, open_runtime
from bot.settings import Settings, SettingsError, load_settings

log = logging.getLogger("bot")


async def serve(settings: Settings) -> None:
    async with open_runtime(settings) as runtime:
        if not settings.telegram_token:
            print(
                "No channel configured: starting the terminal conversation. "
                "Set TELEGRAM_BOT_TOKEN to connect Telegram (see README).",
                file=sys.stderr,
            )
            await _terminal(runtime, None)
            return
        staff_chat = settings.staff_chat_id or runtime.conversation.config.staff.telegram_chat_id
        telegram = TelegramChannel(
            runtime.conversation,
            runtime.keys,
            settings.telegram_token,
            settings.telegram_api_url,
            staff_chat,
        )
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await telegram.start()
        try:
            await stop.wait()
        finally:
            log.info("shutting_down")
            await telegram.stop()


async def _terminal(runtime: Runtime, language: str | None) -> None:
    await TerminalChannel(runtime.conversation, sys.stdin, sys.stdout, language).run()


async def chat(settings: Settings, language: str | None) -> None:
    async with open_runtime(settings) as runtime:
        await _terminal(runtime, language)


async def content_check(settings: Settings) -> int:
    result = await check_everything(settings.config_path, settings.content_dir)
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    languages = ", ".join(result.config.languages)
    topics = len(result.content.index.topics)
    print(f"ok: {settings.config_path} and {settings.content_dir}: {topics} topics in {languages}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="serve every configured channel (terminal when none)")
    chat_parser = sub.add_parser("chat", help="talk to the bot in this terminal")
    chat_parser.add_argument("--lang", help="language code, e.g. fr, nl, en")
    content_parser = sub.add_parser("content", help="content tools")
    content_sub = content_parser.add_subparsers(dest="content_command", required=True)
    content_sub.add_parser("check", help="validate the config and every page in every language")
    args = parser.parse_args(argv)

    setup_logging(os.environ.get("LOG_LEVEL", "INFO").upper())
    try:
        settings = load_settings()
        if args.command == "run":
            asyncio.run(serve(settings))
        elif args.command == "chat":
            asyncio.run(chat(settings, args.lang))
        elif args.command == "content":
            return asyncio.run(content_check(settings))
    except (ValidationFailed, SettingsError) as exc:
        for line in str(exc).splitlines():
            print(line, file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
