"""Command line: run, chat, content check, match, agenda (see README)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import signal
import sys
from pathlib import Path
from typing import Any

from telegram.error import InvalidToken

from bot.agenda import agenda_ics, agenda_text, period
from bot.backup import BackupError, backup, restore, running
from bot.channels.signal import SignalChannel
from bot.channels.telegram import TelegramChannel
from bot.channels.terminal import TerminalChannel
from bot.channels.text import html_to_plain
from bot.checks import check_everything
from bot.doctor import report, run_checks, today_utc
from bot.errors import ValidationFailed
from bot.evaluation import evaluate, load_questions
from bot.handlers.staff import parse_day
from bot.i18n import use_language
from bot.logs import setup_logging
from bot.relay import Relay
from bot.reminders import run_reminders
from bot.retention import run_purges
from bot.runtime import Runtime, open_runtime
from bot.settings import Settings, SettingsError, content_paths, load_settings

log = logging.getLogger("bot")


async def serve(settings: Settings) -> int:
    if not settings.telegram_token and not settings.signal_cli and not sys.stdin.isatty():
        # Under an init system: nothing to serve is a failure it should show, not a success.
        print(
            "Nothing to serve: set TELEGRAM_BOT_TOKEN (and/or SIGNAL_ACCOUNT and SIGNAL_CLI); "
            "to try the bot in a terminal, use: python -m bot chat",
            file=sys.stderr,
        )
        return 1
    with running(settings.data_dir):
        return await _serve(settings)


async def _serve(settings: Settings) -> int:
    async with open_runtime(settings) as runtime:
        if not settings.telegram_token and not settings.signal_cli:
            print(
                "No channel configured: starting the terminal conversation. "
                "Set TELEGRAM_BOT_TOKEN (and/or SIGNAL_ACCOUNT and SIGNAL_CLI) to connect "
                "Telegram or Signal (see README).",
                file=sys.stderr,
            )
            await _terminal(runtime, None)
            return 0
        conversation = runtime.conversation
        relay = Relay(conversation)
        channels: list[TelegramChannel | SignalChannel] = []
        if settings.telegram_token:
            staff_chat = settings.staff_chat_id or conversation.config.staff.telegram_chat_id
            channels.append(
                TelegramChannel(
                    conversation,
                    runtime.keys,
                    settings.telegram_token,
                    settings.telegram_api_url,
                    staff_chat,
                    relay,
                    messages_per_second=settings.telegram_messages_per_second,
                )
            )
        else:
            log.warning("no_staff_chat (conversations with the team need Telegram for staff)")
        if settings.signal_account and settings.signal_cli:
            channels.append(
                SignalChannel(conversation, settings.signal_account, settings.signal_cli, relay)
            )
        stop = asyncio.Event()

        def on_signal() -> None:
            # The first signal shuts down cleanly; a second one, if the shutdown hangs on the
            # network, ends the process (the database and the outbox survive a hard stop).
            if stop.is_set():
                log.warning("forced_exit")
                os._exit(1)
            stop.set()

        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, on_signal)
        # Telegram may be unreachable at start (its start waits, with back-off): a stop
        # signal meanwhile still ends the process cleanly.
        starting: asyncio.Future[Any] = asyncio.ensure_future(
            asyncio.gather(*(c.start() for c in channels))
        )
        stopping: asyncio.Future[Any] = asyncio.ensure_future(stop.wait())
        await asyncio.wait([starting, stopping], return_when=asyncio.FIRST_COMPLETED)
        if not starting.done():
            starting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await starting
            for channel in reversed(channels):
                with contextlib.suppress(Exception):
                    await channel.stop()
            return 0
        stopping.cancel()
        starting.result()  # a rejected token ends here
        reminders = asyncio.create_task(run_reminders(conversation, stop))
        relaying = asyncio.create_task(relay.run(stop))
        purging = asyncio.create_task(run_purges(conversation, stop))
        try:
            await stop.wait()
        finally:
            log.info("shutting_down")
            await asyncio.gather(reminders, relaying, purging)
            await conversation.outbound.drain()
            for channel in reversed(channels):
                await channel.stop()
        return 0


async def _terminal(runtime: Runtime, language: str | None) -> None:
    await TerminalChannel(runtime.conversation, sys.stdin, sys.stdout, language).run()


async def chat(settings: Settings, language: str | None) -> int:
    async with open_runtime(settings) as runtime:
        languages = runtime.conversation.config.languages
        if language is not None and language not in languages:
            print(f"--lang: {language!r} is not one of {', '.join(languages)}", file=sys.stderr)
            return 2
        await _terminal(runtime, language)
    return 0


async def content_check() -> int:
    config_path, content_dir = content_paths()
    result = await check_everything(config_path, content_dir)
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    languages = ", ".join(result.config.languages)
    topics = len(result.content.index.topics)
    print(f"ok: {config_path} and {content_dir}: {topics} topics in {languages}")
    return 0


async def match_questions(lang: str | None, text: str | None, evaluate_file: str | None) -> int:
    """One JSON line per question: from TEXT, or one question per line of stdin."""
    result = await check_everything(*content_paths())
    if evaluate_file:
        report = evaluate(result.matcher, load_questions(Path(evaluate_file)))
        print(report.table())
        for miss in report.misses:
            print(f"miss: {miss}")
        return 0
    if lang is None:
        print("--lang is required (or --evaluate FILE)", file=sys.stderr)
        return 2
    if lang not in result.matcher.languages:
        known = ", ".join(result.matcher.languages)
        print(f"--lang: no keywords for {lang!r} (known: {known})", file=sys.stderr)
        return 2
    questions = [text] if text is not None else (line.rstrip("\n") for line in sys.stdin)
    for question in questions:
        if question.strip():
            found = result.matcher.match(question, lang)
            print(json.dumps(found.as_json(), ensure_ascii=False), flush=True)
    return 0


async def export_agenda(settings: Settings, first: str | None, days: int, form: str) -> int:
    async with open_runtime(settings) as runtime:
        config = runtime.conversation.config
        today = runtime.conversation.clock().astimezone(config.zone).date()
        first_day = parse_day(first or "", today)
        if first_day is None:
            print(f"--from: {first!r} is not a date like 2026-11-24", file=sys.stderr)
            return 2
        start, end = period(config, first_day, days)
        appointments = await runtime.store.agenda(start, end)
        with use_language(runtime.conversation.catalogs, config.default_language):
            if form == "ics":
                sys.stdout.buffer.write(agenda_ics(config, appointments))
            else:
                print(html_to_plain(agenda_text(config, appointments, first_day, days)))
    return 0


async def print_counts(settings: Settings) -> int:
    """The anonymous counters for the annual report: no key, no code, just numbers."""
    async with open_runtime(settings) as runtime:
        rows = await runtime.store.counts()
    print("month    type                 location             event      count")
    for month, kind, location, event, count in rows:
        print(f"{month}  {kind:<20} {location:<20} {event:<10} {count:>5}")
    return 0


def day_count(text: str) -> int:
    """1 to 366: argparse turns anything else into one line and exit code 2."""
    if not text.isdecimal() or not 1 <= int(text) <= 366:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of days from 1 to 366")
    return int(text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="serve every configured channel (terminal when none)")
    chat_parser = sub.add_parser("chat", help="talk to the bot in this terminal")
    chat_parser.add_argument("--lang", help="language code, e.g. fr, nl, en")
    content_parser = sub.add_parser("content", help="content tools")
    content_sub = content_parser.add_subparsers(dest="content_command", required=True)
    content_sub.add_parser("check", help="validate the config and every page in every language")
    match_parser = sub.add_parser("match", help="show which topic a typed question leads to")
    match_parser.add_argument("--lang", help="the language the person uses")
    match_parser.add_argument(
        "--evaluate", metavar="FILE", help="report accuracy on a labelled question set (YAML)"
    )
    match_parser.add_argument(
        "text", nargs="*", help="the question (default: one per line of stdin)"
    )
    agenda_parser = sub.add_parser("agenda", help="export the appointments (staff)")
    agenda_parser.add_argument("--from", dest="first", help="first day, e.g. 2026-11-24 (today)")
    agenda_parser.add_argument("--days", type=day_count, default=1, help="how many days (1)")
    agenda_parser.add_argument("--format", choices=["text", "ics"], default="text")
    sub.add_parser("stats", help="appointments booked, moved, cancelled, done, missed per month")
    sub.add_parser("doctor", help="check the installation: config, Telegram, signal-cli, data")
    backup_parser = sub.add_parser("backup", help="copy the database while the bot runs")
    backup_parser.add_argument("path", type=Path, help="the file to write")
    restore_parser = sub.add_parser("restore", help="replace the database with a backup")
    restore_parser.add_argument("path", type=Path, help="the backup file")
    args = parser.parse_args(argv)

    # In a terminal chat, log lines would come between the bot's answers: warnings only,
    # unless LOG_LEVEL asks for more.
    quiet = "WARNING" if args.command == "chat" else "INFO"
    level = os.environ.get("LOG_LEVEL", quiet).upper()
    if level not in logging.getLevelNamesMapping():
        print(f"LOG_LEVEL: {level!r} is not one of DEBUG, INFO, WARNING, ERROR", file=sys.stderr)
        return 2
    setup_logging(level)
    try:
        if args.command == "content":
            return asyncio.run(content_check())
        if args.command == "match":
            text = " ".join(args.text) if args.text else None
            return asyncio.run(match_questions(args.lang, text, args.evaluate))
        if args.command == "doctor":
            checks = asyncio.run(run_checks(load_settings(generate_key=False), today_utc()))
            text, code = report(checks)
            print(text)
            return code
        settings = load_settings()
        if args.command == "run":
            return asyncio.run(serve(settings))
        elif args.command == "chat":
            return asyncio.run(chat(settings, args.lang))
        elif args.command == "backup":
            backup(settings.database_path, args.path)
            print(f"ok: {args.path} (useless without the key: keep BOT_SECRET_KEY elsewhere)")
        elif args.command == "restore":
            restore(args.path, settings.database_path)
            print(f"ok: {settings.database_path} restored from {args.path}")
        elif args.command == "stats":
            return asyncio.run(print_counts(settings))
        elif args.command == "agenda":
            return asyncio.run(export_agenda(settings, args.first, args.days, args.format))
    except (ValidationFailed, SettingsError, BackupError) as exc:
        for line in str(exc).splitlines():
            print(line, file=sys.stderr)
        return 1
    except InvalidToken:
        # python-telegram-bot's own message quotes the token: never shown.
        log.error("telegram_token_rejected (Telegram refused the token: check TELEGRAM_BOT_TOKEN)")
        return 1
    except KeyboardInterrupt:
        return 130
    except Exception:
        # Through the logging formatter, which masks tokens and identifiers, never as a raw
        # traceback on stderr.
        log.exception("failed")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
