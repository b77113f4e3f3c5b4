"""Telegram adapter (python-telegram-bot): updates in, replies out, nothing else.

Telegram's rules it enforces: HTML parse mode (the core escapes every dynamic value), 64-byte
callback data (signed, so data the bot did not issue is recognised), flood limits through
PTB's AIORateLimiter, private chats only.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta
from typing import Any

from telegram import (
    BotCommand,
    BotCommandScopeAllPrivateChats,
    Chat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    LinkPreviewOptions,
    Message,
    ReplyParameters,
    Update,
)
from telegram.constants import ChatMemberStatus, ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError, TimedOut
from telegram.ext import (
    AIORateLimiter,
    Application,
    CallbackQueryHandler,
    ChatMemberHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.channels.telegram_http import AiohttpRequest
from bot.conversation import Attachment, Conversation, Event, Option, Person, Reply, escape
from bot.handlers.staff import (
    StaffMessage,
    close_conversation,
    relay_from_staff,
    send_topic,
    set_signature,
    staff_command,
)
from bot.handlers.talk import relay_edit
from bot.i18n import N_, _, use_language
from bot.relay import Media, Relay, RetryLater, Undeliverable
from bot.store import Keys
from bot.store.tickets import Ticket

log = logging.getLogger(__name__)

ALLOWED_UPDATES = ["message", "edited_message", "callback_query", "my_chat_member"]
CALLBACK_DATA_LIMIT = 64  # bytes, Bot API InlineKeyboardButton.callback_data
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
KEYBOARD_CACHE_SIZE = 2048


def relay_error(exc: TelegramError) -> RetryLater | Undeliverable:
    """What the relay should do after a Telegram error: wait (flood control, 5xx, network)
    or give the item up (a message or chat that no longer exists)."""
    if isinstance(exc, RetryAfter):
        wait = exc.retry_after
        return RetryLater(wait.total_seconds() if isinstance(wait, timedelta) else float(wait))
    if isinstance(exc, BadRequest):
        return Undeliverable(type(exc).__name__)
    if isinstance(exc, (TimedOut, NetworkError)):
        return RetryLater(5)
    return Undeliverable(type(exc).__name__)


def staff_attachments(message: Message) -> tuple[Attachment, ...]:
    """The files of a staff message, as references Telegram keeps (for people on Signal)."""
    found: list[Attachment] = []
    if message.photo:
        found.append(Attachment("telegram", message.photo[-1].file_id, "image/jpeg", "photo.jpg"))
    if message.voice:
        mime = message.voice.mime_type or "audio/ogg"
        found.append(Attachment("telegram", message.voice.file_id, mime, "voice.ogg"))
    for item, fallback in (
        (message.audio, "audio/mpeg"),
        # An animation also comes as a document, for older clients: one copy is enough.
        (message.document if message.animation is None else None, "application/octet-stream"),
        (message.video, "video/mp4"),
        (message.animation, "video/mp4"),
    ):
        if item is not None:
            name = getattr(item, "file_name", None)
            found.append(Attachment("telegram", item.file_id, item.mime_type or fallback, name))
    if message.video_note:
        found.append(Attachment("telegram", message.video_note.file_id, "video/mp4", "video.mp4"))
    if message.sticker:
        found.append(Attachment("telegram", message.sticker.file_id, "image/webp", "sticker.webp"))
    return tuple(found)


class ButtonCodec:
    """Callback data is `action|signature`: a forged or foreign button fails the signature."""

    def __init__(self, keys: Keys) -> None:
        self._keys = keys

    def encode(self, action: str) -> str:
        data = f"{action}|{self._keys.button_tag(action)}"
        if len(data.encode()) > CALLBACK_DATA_LIMIT:
            raise ValueError(f"action {action!r} does not fit in Telegram's callback data")
        return data

    def decode(self, data: str | None) -> str | None:
        if not data:
            return None
        action, sep, tag = data.rpartition("|")
        if not sep or tag != self._keys.button_tag(action):
            return None
        return action


def parse_command(text: str) -> tuple[str, str] | None:
    """`/Language@ParapluieBot nl` -> ("language", "nl")."""
    if not text.startswith("/") or len(text) < 2:
        return None
    head, _sep, args = text[1:].partition(" ")
    return head.split("@", 1)[0].lower(), args.strip()


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
        self._staff_is_forum = False
        self._polling: asyncio.Task[None] | None = None
        self._registering: asyncio.Task[None] | None = None
        self.buttons = ButtonCodec(keys)
        self.staff_chat_id = staff_chat_id
        self._staff_thread: int | None = None
        self._keyboards: dict[tuple[tuple[Option, ...], ...], InlineKeyboardMarkup] = {}
        self.application = (
            Application.builder()
            .token(token)
            .updater(None)  # see _poll: updates are confirmed only once handled
            .request(AiohttpRequest(connection_pool_size=256))
            .get_updates_request(AiohttpRequest(connection_pool_size=1))
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
        await self.application.initialize()
        # The command lists (one per language) are registered while the bot already answers:
        # people can type commands before their app shows the list.
        self._registering = asyncio.create_task(self._register_commands())
        # Polling needs no webhook set; asked for while the staff group is checked.
        no_webhook = asyncio.create_task(
            self.application.bot.delete_webhook(drop_pending_updates=False)
        )
        outbound = self.conversation.outbound
        outbound.register_person_channel("telegram", self._send_to_person)
        if self.staff_chat_id is not None:
            self._staff_thread = await self._bookings_thread()
            outbound.register_staff(self._send_to_staff)
            if self.relay is not None:
                self.relay.deliver_to_staff_with(self._relay_to_staff)
        if self.relay is not None:
            self.relay.deliver_to_people_with("telegram", self._relay_to_person)
            self.relay.fetch_media_with("telegram", self._fetch_media)
        await self.application.start()
        await no_webhook
        self._polling = asyncio.create_task(self._poll(poll_timeout))
        log.info("telegram_polling_started")

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

    async def _bookings_thread(self) -> int | None:
        """Booking notices go to their own topic when the staff group has topics."""
        assert self.staff_chat_id is not None
        bot = self.application.bot
        try:
            chat, member = await asyncio.gather(
                bot.get_chat(self.staff_chat_id), bot.get_chat_member(self.staff_chat_id, bot.id)
            )
        except TelegramError as exc:
            log.error(
                "staff_chat_unreachable error=%s (add the bot to the staff group and check "
                "TELEGRAM_STAFF_CHAT_ID)",
                type(exc).__name__,
            )
            return None
        self._staff_is_forum = bool(chat.is_forum)
        if member.status not in {ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER}:
            log.warning(
                "staff_chat_bot_not_admin (make the bot an admin of the staff group so it can "
                "create and close topics)"
            )
        if not chat.is_forum:
            log.warning(
                "staff_chat_without_topics (conversations thread by reply; turn topics on in "
                "the group settings for one topic per conversation)"
            )
            return None
        store = self.conversation.store
        known = await store.setting("telegram_bookings_thread")
        if known is not None:
            return int(known)
        with use_language(self.conversation.catalogs, self.conversation.config.default_language):
            name = _("Appointments")
        topic = await self.application.bot.create_forum_topic(self.staff_chat_id, name)
        await store.set_setting("telegram_bookings_thread", str(topic.message_thread_id))
        return topic.message_thread_id

    async def _send_to_staff(self, text: str) -> None:
        assert self.staff_chat_id is not None
        await self.application.bot.send_message(
            self.staff_chat_id,
            text,
            parse_mode=ParseMode.HTML,
            message_thread_id=self._staff_thread,
            link_preview_options=NO_PREVIEW,
        )

    async def _send_to_person(self, address: str, replies: list[Reply]) -> None:
        for reply in replies:
            await self.application.bot.send_message(
                int(address),
                reply.text,
                parse_mode=ParseMode.HTML,
                reply_markup=self._keyboard(reply.options),
                link_preview_options=NO_PREVIEW,
            )

    def _staff_key(self, message: Message) -> str:
        user_id = message.from_user.id if message.from_user else 0
        return self.conversation.keys.pseudonym("telegram-staff", str(user_id))

    async def _ticket_of(self, message: Message) -> Ticket | None:
        """The conversation a staff message belongs to: its topic, or the message it answers."""
        store = self.conversation.store
        if self._staff_is_forum and message.is_topic_message and message.message_thread_id:
            found = await store.ticket_by_thread(message.message_thread_id)
            if found is not None:
                return found
        replied = message.reply_to_message
        if replied is not None and not replied.forum_topic_created:
            return await store.ticket_by_staff_message(replied.message_id)
        return None

    async def _close_topic(self, ticket: Ticket) -> None:
        if self._staff_is_forum and ticket.thread_id and self.staff_chat_id is not None:
            with contextlib.suppress(TelegramError):
                await self.application.bot.close_forum_topic(self.staff_chat_id, ticket.thread_id)

    async def _ticket_thread(self, ticket: Ticket) -> int | None:
        """One topic per conversation, named with pseudonym, language and subject."""
        if not self._staff_is_forum:
            return None
        assert self.staff_chat_id is not None
        bot, store = self.application.bot, self.conversation.store
        if ticket.thread_id is not None:
            return ticket.thread_id
        subject = self._subject_title(ticket)
        name = (
            f"{ticket.pseudonym} · {ticket.language.upper()}"
            + (f" · {subject}" if subject else "")
            + await self._via(ticket)
        )
        topic = await bot.create_forum_topic(self.staff_chat_id, name[:128])
        await store.set_thread(ticket.id, topic.message_thread_id)
        summary = await bot.send_message(
            self.staff_chat_id,
            self._summary(ticket) + await self._via(ticket, "\n"),
            parse_mode=ParseMode.HTML,
            message_thread_id=topic.message_thread_id,
        )
        await store.remember_staff_message(summary.message_id, ticket.id)
        return topic.message_thread_id

    async def _via(self, ticket: Ticket, separator: str = " · ") -> str:
        """Shown to the team for people who write from another platform: 'via Signal'."""
        profile = await self.conversation.store.load_profile(ticket.user_key)
        if profile is None or profile.channel == "telegram":
            return ""
        with use_language(self.conversation.catalogs, self.conversation.config.default_language):
            return separator + escape(_("via {app}").format(app=profile.channel.capitalize()))

    def _subject_title(self, ticket: Ticket) -> str | None:
        if not ticket.subject:
            return None
        lang = self.conversation.config.default_language
        text = self.conversation.content.topic(lang, ticket.subject)
        return text.button if text else ticket.subject

    def _summary(self, ticket: Ticket) -> str:
        config = self.conversation.config
        with use_language(self.conversation.catalogs, config.default_language):
            subject = self._subject_title(ticket) or _("the menu")
            lines = [
                "💬 <b>"
                + escape(_("New conversation with {pseudonym}").format(pseudonym=ticket.pseudonym))
                + "</b>",
                escape(_("Language: {name}.").format(name=ticket.language.upper())),
                escape(_("Came from: {subject}").format(subject=subject)),
                escape(_("Write here to answer: the person sees the bot, never you.")),
                escape(_("/close to close the conversation.")),
                escape(_("/send TOPIC sends a page in their language, for example /send pep.")),
            ]
        return "\n".join(lines)

    async def _conversation_notice(
        self, ticket: Ticket, thread: int | None, icon: str, message: str
    ) -> None:
        """A line for the team about a conversation, in the organisation's language."""
        assert self.staff_chat_id is not None
        config = self.conversation.config
        with use_language(self.conversation.catalogs, config.default_language):
            text = f"{icon} " + _(message).format(pseudonym=ticket.pseudonym)
        sent = await self.application.bot.send_message(
            self.staff_chat_id, escape(text), parse_mode=ParseMode.HTML, message_thread_id=thread
        )
        await self.conversation.store.remember_staff_message(sent.message_id, ticket.id)

    async def _relay_to_staff(self, ticket: Ticket, payload: dict[str, Any]) -> None:
        assert self.staff_chat_id is not None
        bot, store, staff = self.application.bot, self.conversation.store, self.staff_chat_id
        try:
            thread = await self._ticket_thread(ticket)
            kind = payload.get("kind")
            if kind == "reopened":
                if thread is not None:
                    with contextlib.suppress(BadRequest):  # already open
                        await bot.reopen_forum_topic(staff, thread)
                await self._conversation_notice(
                    ticket, thread, "↩", N_("{pseudonym} is writing again.")
                )
                return
            if kind == "ended":
                await self._conversation_notice(
                    ticket, thread, "✖", N_("{pseudonym} ended the conversation.")
                )
                await self._close_topic(ticket)
                return
            header_id = None
            if thread is None:
                # A group without topics: each message comes after a line naming the
                # pseudonym, and a staff reply to either reaches the person.
                header = await bot.send_message(
                    staff,
                    f"💬 <b>{escape(ticket.pseudonym)}</b> · {ticket.language.upper()}"
                    + await self._via(ticket),
                    parse_mode=ParseMode.HTML,
                )
                header_id = header.message_id
                await store.remember_staff_message(header_id, ticket.id)
            if kind == "edit":
                text = escape(str(payload.get("text", "")))
                try:
                    await bot.edit_message_text(
                        text, staff, int(payload["staff_message_id"]), parse_mode=ParseMode.HTML
                    )
                except BadRequest:  # a photo or voice message: its caption changed
                    await bot.edit_message_caption(
                        staff,
                        int(payload["staff_message_id"]),
                        caption=text,
                        parse_mode=ParseMode.HTML,
                    )
                return
            if kind == "copy":
                copied = await bot.copy_message(
                    staff,
                    from_chat_id=int(payload["chat"]),
                    message_id=int(payload["message_id"]),
                    message_thread_id=thread,
                    reply_parameters=ReplyParameters(header_id) if header_id else None,
                )
                await store.remember_staff_message(copied.message_id, ticket.id)
                if payload.get("source"):
                    await store.remember_copy(str(payload["source"]), copied.message_id, ticket.id)
            else:
                reply_to = ReplyParameters(header_id) if header_id else None
                sent_id = await self._post_to_staff(payload, thread, reply_to)
                await store.remember_staff_message(sent_id, ticket.id)
                if payload.get("source"):
                    await store.remember_copy(str(payload["source"]), sent_id, ticket.id)
        except Forbidden as exc:
            raise RetryLater(60) from exc  # the bot was removed from the staff group
        except BadRequest as exc:
            if "TOPIC_CLOSED" in str(exc) and ticket.thread_id is not None:
                # Someone closed the topic by hand while the conversation goes on.
                with contextlib.suppress(TelegramError):
                    await bot.reopen_forum_topic(staff, ticket.thread_id)
                raise RetryLater(1) from exc
            raise relay_error(exc) from exc
        except TelegramError as exc:
            raise relay_error(exc) from exc

    async def _post_to_staff(
        self, payload: dict[str, Any], thread: int | None, reply_to: ReplyParameters | None
    ) -> int:
        """A message from a platform the group cannot copy from: its text, then its files
        (the first carries the text as caption). Returns the id an edit should change."""
        bot, staff = self.application.bot, self.staff_chat_id
        assert staff is not None
        text = escape(str(payload.get("text", "")))
        attachments = payload.get("attachments") or []
        if not attachments:
            sent = await bot.send_message(
                staff, text or "…", message_thread_id=thread, parse_mode=ParseMode.HTML,
                reply_parameters=reply_to,
            )  # fmt: skip
            return sent.message_id
        if self.relay is None:
            raise RetryLater(30)
        # Everything downloaded before anything is posted: a failed download retries cleanly.
        files = [await self.relay.media(attachment) for attachment in attachments]
        first_id: int | None = None
        for media in files:
            caption = text if first_id is None and text else None
            sent = await self._send_media(staff, media, caption, thread, reply_to)
            if first_id is None:
                first_id = sent.message_id
        assert first_id is not None
        return first_id

    async def _send_media(
        self,
        chat_id: int,
        media: Media,
        caption: str | None,
        thread: int | None,
        reply_to: ReplyParameters | None = None,
    ) -> Message:
        """Photos as photos and voice messages as voice messages where Telegram takes them;
        anything it refuses arrives as a file rather than not at all."""
        bot = self.application.bot
        common: dict[str, Any] = {
            "caption": caption,
            "parse_mode": ParseMode.HTML,
            "message_thread_id": thread,
            "reply_parameters": reply_to,
        }
        kind = media.content_type.split("/", 1)[0]
        file = InputFile(media.data, filename=media.filename)
        try:
            if media.content_type in {"image/jpeg", "image/png"}:
                return await bot.send_photo(chat_id, file, **common)
            if kind == "audio":
                return await bot.send_voice(chat_id, file, **common)
            if kind == "video":
                return await bot.send_video(chat_id, file, **common)
        except BadRequest as exc:
            log.info("media_sent_as_document reason=%s", type(exc).__name__)
            file = InputFile(media.data, filename=media.filename)
        return await bot.send_document(chat_id, file, **common)

    async def _fetch_media(self, attachment: dict[str, Any]) -> Media:
        """A staff member's file, downloaded for a person on another platform."""
        try:
            found = await self.application.bot.get_file(str(attachment["ref"]))
            data = bytes(await found.download_as_bytearray())
        except BadRequest as exc:  # gone, or over the 20 MB bots may download
            raise Undeliverable(f"file: {type(exc).__name__}") from exc
        except TelegramError as exc:
            raise relay_error(exc) from exc
        name = attachment.get("filename") or "file"
        return Media(data, str(attachment.get("content_type") or "application/octet-stream"), name)

    async def _relay_to_person(self, ticket: Ticket, address: str, payload: dict[str, Any]) -> None:
        bot = self.application.bot
        try:
            if payload.get("kind") == "copy":
                assert self.staff_chat_id is not None
                copied = await bot.copy_message(
                    int(address), self.staff_chat_id, int(payload["message_id"])
                )
                sent_id = copied.message_id
            else:
                rows = [
                    [Option(label, action) for label, action in row]
                    for row in payload.get("options", [])
                ]
                sent = await bot.send_message(
                    int(address),
                    str(payload["text"]),
                    parse_mode=ParseMode.HTML,
                    reply_markup=self._keyboard(rows),
                    link_preview_options=NO_PREVIEW,
                )
                sent_id = sent.message_id
        except Forbidden as exc:
            raise Undeliverable("blocked") from exc
        except TelegramError as exc:
            raise relay_error(exc) from exc
        # For the quick exit: what the bot wrote in this chat in the last 48 hours.
        await self.conversation.store.record_chat_messages(
            ticket.user_key, [sent_id], self.conversation.clock()
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
        text = message.text or ""
        command = parse_command(text)
        if command is not None:
            event = Event(person, command=command[0], args=command[1])
        else:
            # Photos, voice messages and stickers come as their caption or empty text; the
            # message id lets a conversation with the team copy them without storing them.
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
        if query is None or person is None:
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
        if joined and chat.type != Chat.PRIVATE and chat.id != self.staff_chat_id:
            await self._leave(chat.id)

    async def _on_group_message(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        chat, message = update.effective_chat, update.effective_message
        if chat is None:
            return
        if chat.id != self.staff_chat_id:
            await self._leave(chat.id)
            return
        if message is None:
            return
        command = parse_command(message.text or "")
        ticket = await self._ticket_of(message)
        answer: str | None = None
        if command is not None and command[0] in {"close", "send"}:
            if ticket is None:
                with use_language(
                    self.conversation.catalogs, self.conversation.config.default_language
                ):
                    answer = _(
                        "Use this in a conversation's topic, or as a reply to one of its messages."
                    )
            elif command[0] == "close":
                answer = await close_conversation(self.conversation, ticket)
                await self._close_topic(ticket)
            else:
                answer = await send_topic(self.conversation, ticket, command[1].strip().lower())
        elif command is not None and command[0] == "signature" and message.from_user is not None:
            answer = await set_signature(self.conversation, self._staff_key(message), command[1])
        elif command is not None:
            answer = await staff_command(self.conversation, command[0], command[1])
        elif ticket is not None:
            # Staff simply write in the topic (or reply): the person gets a copy from the bot.
            await relay_from_staff(
                self.conversation,
                ticket,
                StaffMessage(
                    "telegram",
                    message.message_id,
                    self._staff_key(message),
                    message.text or message.caption,
                    staff_attachments(message),
                ),
            )
        if answer is not None:
            await message.reply_text(
                answer, parse_mode=ParseMode.HTML, link_preview_options=NO_PREVIEW
            )

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
    def _keyboard(self, rows: list[list[Option]]) -> InlineKeyboardMarkup | None:
        if not rows:
            return None
        # Most keyboards (the menu, a topic's choices) are the same for everyone who reads that
        # language: built and signed once, then shared (python-telegram-bot's objects are
        # immutable). Under load, building them was a measurable part of each answer.
        key = tuple(tuple(row) for row in rows if row)
        markup = self._keyboards.get(key)
        if markup is None:
            markup = InlineKeyboardMarkup(
                [
                    [
                        InlineKeyboardButton(option.label, url=option.url)
                        if option.url
                        else InlineKeyboardButton(
                            option.label,
                            callback_data=self.buttons.encode(option.action or "menu"),
                        )
                        for option in row
                    ]
                    for row in key
                ]
            )
            if len(self._keyboards) >= KEYBOARD_CACHE_SIZE:
                self._keyboards.pop(next(iter(self._keyboards)))  # the oldest
            self._keyboards[key] = markup
        return markup

    async def _clear_chat(self, chat_id: int, person: Person, just_received: list[int]) -> None:
        store, bot = self.conversation.store, self.application.bot
        ids = await store.take_chat_messages(
            self.conversation.user_key(person), self.conversation.clock()
        )
        ids = sorted({*ids, *just_received})  # with the "/clear" that asked for it
        for start in range(0, len(ids), 100):  # deleteMessages takes at most 100 ids
            with contextlib.suppress(TelegramError):  # some may be gone or too old
                await bot.delete_messages(chat_id, ids[start : start + 100])

    async def _deliver(
        self,
        chat_id: int,
        replies: list[Reply],
        source: Message | None,
        person: Person,
        received: list[int] | None = None,
    ) -> None:
        bot = self.application.bot
        sent_ids: list[int] = []
        if any(not reply.tracked for reply in replies):
            received = None  # /forget: nothing of this chat stays on record
        if any(reply.clear_chat for reply in replies):
            await self._clear_chat(chat_id, person, received or [])
            received, source = None, None
        for index, reply in enumerate(replies):
            markup = self._keyboard(reply.options)
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
                    if "not modified" in str(exc).lower():
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
                self.conversation.user_key(person),
                (received or []) + sent_ids,
                self.conversation.clock(),
            )
