"""Telegram adapter (python-telegram-bot): updates in, replies out, nothing else.

Telegram's rules it enforces: HTML parse mode (the core escapes every dynamic value), 64-byte
callback data (signed, so data the bot did not issue is recognised), flood limits through
PTB's AIORateLimiter, private chats only.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from functools import partial
from typing import Any

from telegram import (
    BotCommand,
    BotCommandScopeAllPrivateChats,
    Chat,
    Message,
    Update,
)
from telegram.constants import ChatMemberStatus, ParseMode
from telegram.error import (
    BadRequest,
    Forbidden,
    InvalidToken,
    NetworkError,
    TelegramError,
    TimedOut,
)
from telegram.ext import (
    AIORateLimiter,
    Application,
    CallbackQueryHandler,
    ChatMemberHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.channels.telegram_api import (
    NO_PREVIEW,
    error_says,
    is_service_message,
    parse_command,
    refused_kind,
    relay_error,
)
from bot.channels.telegram_buttons import ButtonCodec
from bot.channels.telegram_http import AiohttpRequest
from bot.channels.telegram_posts import TEXT_LIMIT
from bot.channels.telegram_staff import StaffGroup
from bot.channels.text import split_text
from bot.conversation import Attachment, Conversation, Event, Option, Person, Reply, escape
from bot.handlers.talk import relay_edit
from bot.i18n import _, use_language
from bot.relay import Media, Relay, Undeliverable, neutral_file_name
from bot.store import Keys
from bot.store.privacy import CLEARABLE_HOURS
from bot.store.tickets import Ticket

log = logging.getLogger(__name__)

ALLOWED_UPDATES = ["message", "edited_message", "callback_query", "my_chat_member"]
CLEAR_ATTEMPTS = 3
MAX_START_BACKOFF_SECONDS = 60.0
# Messages this close to the end of the 48 hours in which a bot may delete them are deleted
# one by one: one that passes the limit while the request travels would sink a whole batch.
CLEAR_MARGIN = timedelta(hours=1)


class TelegramChannel:
    def __init__(
        self,
        conversation: Conversation,
        keys: Keys,
        token: str,
        api_url: str,
        staff_chat_id: int | None = None,
        relay: Relay | None = None,
        group_messages_per_minute: int = 20,
        messages_per_second: int = 30,
    ) -> None:
        self.conversation = conversation
        self.relay = relay
        self._polling: asyncio.Task[None] | None = None
        self._registering: asyncio.Task[None] | None = None
        self.buttons = ButtonCodec(keys)
        self._requests = (
            AiohttpRequest(connection_pool_size=256),
            AiohttpRequest(connection_pool_size=1),
        )
        self.application = (
            Application.builder()
            .token(token)
            .updater(None)  # see _poll: updates are confirmed only once handled
            .request(self._requests[0])
            .get_updates_request(self._requests[1])
            .base_url(f"{api_url}/bot")
            .base_file_url(f"{api_url}/file/bot")
            # Telegram's limits: about 30 messages a second overall, 20 a minute per group.
            .rate_limiter(
                AIORateLimiter(
                    overall_max_rate=messages_per_second,
                    max_retries=3,
                    group_max_rate=group_messages_per_minute,
                    group_time_period=60,
                )
            )
            .build()
        )
        # The team's side of the same bot, when a staff group is configured.
        self.staff = (
            StaffGroup(conversation, self.application, staff_chat_id, relay)
            if staff_chat_id is not None
            else None
        )
        app = self.application
        app.add_handler(ChatMemberHandler(self._on_membership, ChatMemberHandler.MY_CHAT_MEMBER))
        app.add_handler(CallbackQueryHandler(self._on_button))
        app.add_handler(
            MessageHandler(
                filters.ChatType.PRIVATE & filters.UpdateType.EDITED_MESSAGE, self._on_edit
            )
        )
        app.add_handler(
            MessageHandler(filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE, self._on_message)
        )
        app.add_handler(
            MessageHandler(
                ~filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE, self._on_group_message
            )
        )
        app.add_error_handler(self._on_error)

    # --- lifecycle -----------------------------------------------------------------------------
    async def start(self, poll_timeout: int = 20) -> None:
        await self._initialize()
        # The command lists (one per language) are registered while the bot already answers:
        # people can type commands before their app shows the list.
        self._registering = asyncio.create_task(self._register_commands())
        # Polling needs no webhook set; asked for while the staff group is checked.
        no_webhook = asyncio.create_task(
            self.application.bot.delete_webhook(drop_pending_updates=False)
        )
        outbound = self.conversation.outbound
        outbound.register_person_channel("telegram", self._send_to_person)
        if self.staff is not None:
            await self.staff.start()
        else:
            log.warning(
                'no_staff_chat (set TELEGRAM_STAFF_CHAT_ID: without a staff group, "talk to a '
                "person\" shows the organisation's phones instead)"
            )
        if self.relay is not None:
            self.relay.deliver_to_people_with("telegram", self._relay_to_person)
            self.relay.fetch_media_with("telegram", self._fetch_media)
        await self.application.start()
        await no_webhook
        self._polling = asyncio.create_task(self._poll(poll_timeout))
        log.info("telegram_polling_started")

    async def _initialize(self) -> None:
        """Until Telegram answers getMe: a network down at start (a router rebooting, a proxy
        not up yet) is waited out with back-off rather than crashing the service; a rejected
        token is not, and leaves no open connection behind."""
        failures = 0
        try:
            while True:
                try:
                    await self.application.initialize()
                    return
                except InvalidToken:
                    raise
                except (TimedOut, NetworkError) as exc:
                    failures += 1
                    delay = min(MAX_START_BACKOFF_SECONDS, 2.0**failures)
                    log.warning(
                        "telegram_unreachable error=%s retry_in=%.0f", type(exc).__name__, delay
                    )
                    await asyncio.sleep(delay)
        except BaseException:
            await asyncio.gather(*(request.shutdown() for request in self._requests))
            raise

    async def _poll(self, poll_timeout: int) -> None:
        """Long polling that confirms an update to Telegram only after it was handled.

        python-telegram-bot's own updater confirms a batch as soon as it fetches the next one,
        so a crash could drop updates fetched but not yet handled. Here the offset moves past
        an update only once its handler has run (and, for a conversation with the team, once
        the message is in the persistent outbox); a restart gets unhandled updates again, and
        the outbox's keys keep them from being relayed twice. A batch is confirmed once all of
        its updates are handled; within it, each chat's updates are handled in order.
        """
        bot, offset, failures = self.application.bot, 0, 0
        while True:
            try:
                updates = await bot.get_updates(
                    offset=offset, timeout=poll_timeout, allowed_updates=ALLOWED_UPDATES
                )
                failures = 0
            except asyncio.CancelledError:
                raise
            except TelegramError as exc:
                failures += 1
                log.warning("get_updates_failed error=%s", type(exc).__name__)
                await asyncio.sleep(min(30.0, 0.5 * 2**failures))
                continue
            if not updates:
                continue
            # Different chats are handled side by side; one chat's updates stay in order.
            by_chat: dict[int, list[Update]] = {}
            for update in updates:
                chat = update.effective_chat
                by_chat.setdefault(chat.id if chat else 0, []).append(update)
            outcomes = await asyncio.gather(
                *(self._handle_in_order(chat_updates) for chat_updates in by_chat.values()),
                return_exceptions=True,
            )
            for outcome in outcomes:
                if isinstance(outcome, Exception):
                    log.error("update_batch_failed error=%s", type(outcome).__name__)
            offset = updates[-1].update_id + 1

    async def _handle_in_order(self, updates: list[Update]) -> None:
        for update in updates:
            await self.application.process_update(update)

    async def stop(self) -> None:
        if self._registering is not None:
            # Best effort: the lists are registered again at the next start.
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._registering, 5)
        if self._polling is not None:
            self._polling.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._polling
            self._polling = None
        if self.application.running:
            await self.application.stop()
        await self.application.shutdown()

    async def _send_to_person(self, address: str, replies: list[Reply]) -> list[int]:
        """Reminders and notices outside a turn; their ids go on record for the quick exit."""
        sent: list[int] = []
        for reply in replies:
            message = await self.application.bot.send_message(
                int(address),
                reply.text,
                parse_mode=ParseMode.HTML,
                reply_markup=self.buttons.keyboard(reply.options),
                link_preview_options=NO_PREVIEW,
            )
            sent.append(message.message_id)
        return sent

    async def _fetch_media(self, attachment: dict[str, Any]) -> Media:
        """A staff member's file, downloaded for a person on another platform."""
        try:
            found = await self.application.bot.get_file(str(attachment["ref"]))
            data = bytes(await found.download_as_bytearray())
        except BadRequest as exc:  # gone, or over the 20 MB bots may download
            raise Undeliverable(f"file: {type(exc).__name__}") from exc
        except TelegramError as exc:
            raise relay_error(exc) from exc
        content_type = str(attachment.get("content_type") or "application/octet-stream")
        name = attachment.get("filename") or neutral_file_name(content_type)
        return Media(data, content_type, str(name))

    async def _relay_to_person(self, ticket: Ticket, address: str, payload: dict[str, Any]) -> None:
        bot = self.application.bot
        silent = bool(payload.get("silent"))  # discreet mode: a neutral line rang before
        try:
            if payload.get("kind") == "copy":
                assert self.staff is not None
                copied = await bot.copy_message(
                    int(address),
                    self.staff.chat_id,
                    int(payload["message_id"]),
                    disable_notification=silent,
                )
                sent_ids = [copied.message_id]
            else:
                rows = [
                    [Option(label, action) for label, action in row]
                    for row in payload.get("options", [])
                ]
                # A staff member's longest message with their signature can pass Telegram's
                # limit: it goes in pieces, the buttons under the last.
                pieces = split_text(str(payload["text"]), TEXT_LIMIT) or ["…"]
                sent_ids = []
                for index, piece in enumerate(pieces):
                    sent = await bot.send_message(
                        int(address),
                        piece,
                        parse_mode=ParseMode.HTML,
                        reply_markup=self.buttons.keyboard(rows)
                        if index == len(pieces) - 1
                        else None,
                        link_preview_options=NO_PREVIEW,
                        disable_notification=silent,
                    )
                    sent_ids.append(sent.message_id)
        except Forbidden as exc:
            raise Undeliverable("blocked") from exc
        except TelegramError as exc:
            raise relay_error(exc) from exc
        # For the quick exit: what the bot wrote in this chat in the last 48 hours.
        await self.conversation.store.record_chat_messages(
            ticket.user_key, sent_ids, self.conversation.clock()
        )

    async def _register_commands(self) -> None:
        scope = BotCommandScopeAllPrivateChats()
        config = self.conversation.config

        async def register(lang: str | None) -> None:
            pairs = self.conversation.command_list(lang or config.default_language)
            await self.application.bot.set_my_commands(
                [BotCommand(name, description) for name, description in pairs],
                scope=scope,
                language_code=lang,
            )

        try:
            await asyncio.gather(*(register(lang) for lang in [None, *config.languages]))
        except TelegramError as exc:
            log.warning("commands_not_registered error=%s", type(exc).__name__)

    # --- incoming ------------------------------------------------------------------------------
    @staticmethod
    def _person(update: Update) -> Person | None:
        user, chat = update.effective_user, update.effective_chat
        if user is None or chat is None or user.is_bot:
            return None
        return Person(
            channel="telegram",
            platform_id=str(user.id),
            address=str(chat.id),
            language_hint=user.language_code,
        )

    async def _on_message(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        person = self._person(update)
        if message is None or person is None:
            return
        if is_service_message(message):
            return  # a pin, an auto-delete timer: nothing the person wrote
        text = message.text or ""
        command = parse_command(text)
        refused = refused_kind(message)
        if refused is not None:
            event = Event(person, refused=refused)
        elif command is not None:
            event = Event(person, command=command[0], args=command[1])
        elif message.document is not None or message.audio is not None:
            # Files carry their original name (and audio its title and performer), which a
            # copy would show the team: the file goes through the bot, under a neutral name.
            file = message.document or message.audio
            assert file is not None
            content_type = file.mime_type or "application/octet-stream"
            event = Event(
                person,
                text=message.caption or "",
                message_ref=str(message.message_id),
                attachments=(Attachment("telegram", file.file_id, content_type),),
            )
        else:
            # Photos, voice messages and stickers come as their caption or empty text; the
            # message id lets a conversation with the team copy them without storing them
            # (a photo's copy is Telegram's own re-encoded image, without its metadata).
            event = Event(
                person,
                text=text or message.caption or "",
                message_ref=str(message.message_id),
                copyable=True,
            )
        replies = await self.conversation.handle(event)
        # The person's message goes in the quick exit's list with the answers, in one write.
        await self._deliver(int(person.address), replies, None, person, [message.message_id])

    async def _on_edit(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Edits can follow a relayed message; Telegram tells bots nothing of deletions in
        private chats, so those cannot be mirrored."""
        message, person = update.edited_message, self._person(update)
        if message is None or person is None:
            return
        await relay_edit(
            self.conversation,
            person,
            str(message.message_id),
            message.text or message.caption or "",
        )

    async def _on_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        person = self._person(update)
        chat = update.effective_chat
        # A button is only ever pressed in a person's private chat: one pressed anywhere else
        # (a group, an inline message) was not shown by this bot there, and is ignored.
        if query is None or person is None or chat is None or chat.type != Chat.PRIVATE:
            return
        action = self.buttons.decode(query.data)
        if action is None:
            event = Event(person, unknown_button=True)
        else:
            event = Event(person, action=action)
        replies = await self.conversation.handle(event)
        notice = next((r.notice for r in replies if r.notice), None)
        # Queries older than a few minutes can no longer be answered; the reply still goes.
        with contextlib.suppress(BadRequest):
            await query.answer(text=notice)
        source = query.message if isinstance(query.message, Message) else None
        await self._deliver(int(person.address), replies, source, person)

    async def _on_membership(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        change = update.my_chat_member
        if change is None:
            return
        chat = change.chat
        joined = change.new_chat_member.status in {
            ChatMemberStatus.MEMBER,
            ChatMemberStatus.ADMINISTRATOR,
        }
        if joined and chat.type != Chat.PRIVATE and not await self._is_staff_group(chat.id):
            await self._leave(chat.id)

    async def _on_group_message(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        chat, message = update.effective_chat, update.effective_message
        if chat is None:
            return
        if self.staff is not None and message is not None:
            # A group becoming a supergroup: Telegram posts "migrate_from" in the new chat and
            # "migrate_to" in the old one (tdlib/telegram-bot-api#170).
            if message.migrate_from_chat_id == self.staff.chat_id:
                await self.staff.follow_migration(chat.id)
            elif message.migrate_to_chat_id and chat.id == self.staff.chat_id:
                await self.staff.follow_migration(message.migrate_to_chat_id)
                return
        if not await self._is_staff_group(chat.id):
            await self._leave(chat.id)
            return
        if self.staff is not None and message is not None:
            await self.staff.on_message(message)

    async def _is_staff_group(self, chat_id: int) -> bool:
        return self.staff is not None and await self.staff.moved_here(chat_id)

    async def _leave(self, chat_id: int) -> None:
        # A group would expose people's questions to its members: the bot only works one to one.
        try:
            await self.application.bot.leave_chat(chat_id)
            log.info("left_non_private_chat")
        except TelegramError as exc:
            log.warning("leave_chat_failed error=%s", type(exc).__name__)

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        error = context.error
        log.error(
            "update_failed error=%s",
            type(error).__name__,
            exc_info=(type(error), error, error.__traceback__) if error else None,
        )
        if not isinstance(update, Update) or update.effective_chat is None:
            return
        if update.effective_chat.type != Chat.PRIVATE:
            return
        person = self._person(update)
        config = self.conversation.config
        lang = await self.conversation.language_for(person) if person else config.default_language
        with use_language(self.conversation.catalogs, lang):
            apology = "⚠️ " + _("Sorry, something went wrong. Please try again.") + " /menu"
        with contextlib.suppress(TelegramError):
            await self.application.bot.send_message(update.effective_chat.id, apology)

    # --- outgoing ------------------------------------------------------------------------------
    async def _clear_chat(self, chat_id: int, user_key: str, just_received: list[int]) -> int:
        """Deletes every message of the last 48 hours on record, both sides'; returns how many
        could not be deleted. Telegram skips the ids it cannot find, but refuses a whole batch
        when one message in it cannot be deleted for everyone (a dice under a day old, a
        message just past 48 hours: TDLib checks them all before deleting any). So the
        messages near the end of the window go one by one, and a refused batch is tried again
        one message at a time. Flood control is waited out by python-telegram-bot's limiter;
        a network failure is tried again, since a message left behind is what matters."""
        store, bot = self.conversation.store, self.application.bot
        now = self.conversation.clock()
        dated = await store.take_dated_chat_messages(user_key, now)
        edge = now - timedelta(hours=CLEARABLE_HOURS) + CLEAR_MARGIN
        old = sorted({message_id for message_id, at in dated if at < edge})
        recent = sorted({*(i for i, at in dated if at >= edge), *just_received} - set(old))
        left = 0
        for start in range(0, len(recent), 100):  # deleteMessages takes at most 100 ids
            batch = recent[start : start + 100]
            if not await self._delete(partial(bot.delete_messages, chat_id, batch)):
                old += batch
        for message_id in old:
            if not await self._delete(partial(bot.delete_message, chat_id, message_id)):
                left += 1
        if left:
            log.info("clear_chat_incomplete left=%d", left)
        return left

    @staticmethod
    async def _delete(request: Callable[[], Awaitable[bool]]) -> bool:
        """One deletion request, tried again after a network failure; False when refused."""
        for attempt in range(CLEAR_ATTEMPTS):
            try:
                return bool(await request())
            except BadRequest:  # before NetworkError: python-telegram-bot derives it from that
                return False
            except (TimedOut, NetworkError):
                await asyncio.sleep(0.5 * (attempt + 1))
            except TelegramError:  # a chat that is gone
                return False
        return False

    async def _some_left(self, reply: Reply, person: Person) -> Reply:
        """The clearing left messages behind: the person is told to delete the chat, since
        a panicked tap on the quick exit must not leave them believing it is clean."""
        lang = await self.conversation.language_for(person)
        with use_language(self.conversation.catalogs, lang):
            line = _("Some messages could not be deleted: delete this chat in Telegram too.")
        return dataclasses.replace(reply, text=f"{reply.text}\n{escape(line)}")

    async def _deliver(
        self,
        chat_id: int,
        replies: list[Reply],
        source: Message | None,
        person: Person,
        received: list[int] | None = None,
    ) -> None:
        user_key = self.conversation.user_key(person)
        # Sending and recording under the lock the quick exit takes: see bot/outbound.py.
        async with self.conversation.outbound.delivering(user_key):
            await self._deliver_locked(chat_id, replies, source, person, received)

    async def _deliver_locked(
        self,
        chat_id: int,
        replies: list[Reply],
        source: Message | None,
        person: Person,
        received: list[int] | None,
    ) -> None:
        bot, user_key = self.application.bot, self.conversation.user_key(person)
        sent_ids: list[int] = []
        if any(reply.clear_chat for reply in replies):
            left = await self._clear_chat(chat_id, user_key, received or [])
            received, source = None, None
            if left:
                replies = [await self._some_left(r, person) if r.clear_chat else r for r in replies]
        if any(not reply.tracked for reply in replies):
            received = None  # /forget: nothing of this chat stays on record
        for index, reply in enumerate(replies):
            markup = self.buttons.keyboard(reply.options)
            if index == 0 and reply.replace and source is not None:
                try:
                    await bot.edit_message_text(
                        reply.text,
                        chat_id=chat_id,
                        message_id=source.message_id,
                        parse_mode=ParseMode.HTML,
                        reply_markup=markup,
                        link_preview_options=NO_PREVIEW,
                    )
                    continue
                except BadRequest as exc:
                    if error_says(exc, "not modified"):
                        continue
                    # Too old to edit, or deleted meanwhile: send it as a new message instead.
            try:
                sent = await bot.send_message(
                    chat_id,
                    reply.text,
                    parse_mode=ParseMode.HTML,
                    reply_markup=markup,
                    link_preview_options=NO_PREVIEW,
                )
                if reply.tracked:
                    sent_ids.append(sent.message_id)
            except Forbidden:
                log.info("recipient_blocked_bot")
                break
        if sent_ids or received:
            await self.conversation.store.record_chat_messages(
                user_key, (received or []) + sent_ids, self.conversation.clock()
            )
