"""Telegram adapter (python-telegram-bot): updates in, replies out, nothing else.

Telegram's rules it enforces: HTML parse mode (the core escapes every dynamic value), 64-byte
callback data (signed, so data the bot did not issue is recognised), flood limits through
PTB's AIORateLimiter, private chats only.
"""

from __future__ import annotations

import contextlib
import logging

from telegram import (
    BotCommand,
    BotCommandScopeAllPrivateChats,
    Chat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    Message,
    Update,
)
from telegram.constants import ChatMemberStatus, ParseMode
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    CallbackQueryHandler,
    ChatMemberHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.conversation import Conversation, Event, Option, Person, Reply
from bot.handlers.staff import staff_command
from bot.i18n import _, use_language
from bot.store import Keys

log = logging.getLogger(__name__)

CALLBACK_DATA_LIMIT = 64  # bytes, Bot API InlineKeyboardButton.callback_data
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


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
    ) -> None:
        self.conversation = conversation
        self.buttons = ButtonCodec(keys)
        self.staff_chat_id = staff_chat_id
        self._staff_thread: int | None = None
        self.application = (
            Application.builder()
            .token(token)
            .base_url(f"{api_url}/bot")
            .base_file_url(f"{api_url}/file/bot")
            .rate_limiter(AIORateLimiter(max_retries=3))
            .build()
        )
        app = self.application
        app.add_handler(ChatMemberHandler(self._on_membership, ChatMemberHandler.MY_CHAT_MEMBER))
        app.add_handler(CallbackQueryHandler(self._on_button))
        app.add_handler(MessageHandler(filters.ChatType.PRIVATE, self._on_message))
        app.add_handler(MessageHandler(~filters.ChatType.PRIVATE, self._on_group_message))
        app.add_error_handler(self._on_error)

    # --- lifecycle -----------------------------------------------------------------------------
    async def start(self, poll_timeout: int = 20) -> None:
        await self.application.initialize()
        await self._register_commands()
        outbound = self.conversation.outbound
        outbound.register_person_channel("telegram", self._send_to_person)
        if self.staff_chat_id is not None:
            self._staff_thread = await self._bookings_thread()
            outbound.register_staff(self._send_to_staff)
        await self.application.start()
        assert self.application.updater is not None
        await self.application.updater.start_polling(
            allowed_updates=["message", "callback_query", "my_chat_member"],
            drop_pending_updates=False,
            timeout=poll_timeout,
        )
        log.info("telegram_polling_started")

    async def stop(self) -> None:
        updater = self.application.updater
        if updater is not None and updater.running:
            await updater.stop()
        if self.application.running:
            await self.application.stop()
        await self.application.shutdown()

    async def _bookings_thread(self) -> int | None:
        """Booking notices go to their own topic when the staff group has topics."""
        assert self.staff_chat_id is not None
        try:
            chat = await self.application.bot.get_chat(self.staff_chat_id)
        except TelegramError as exc:
            log.warning("staff_chat_unreachable error=%s", type(exc).__name__)
            return None
        if not chat.is_forum:
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

    async def _register_commands(self) -> None:
        scope = BotCommandScopeAllPrivateChats()
        config = self.conversation.config
        for lang in [None, *config.languages]:
            pairs = self.conversation.command_list(lang or config.default_language)
            await self.application.bot.set_my_commands(
                [BotCommand(name, description) for name, description in pairs],
                scope=scope,
                language_code=lang,
            )

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
            # Photos, voice messages and the like come through as empty text for now.
            event = Event(person, text=text)
        replies = await self.conversation.handle(event)
        await self._deliver(int(person.address), replies, None)

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
        await self._deliver(int(person.address), replies, source)

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
        command = parse_command(message.text or "") if message is not None else None
        if command is None or message is None:
            return
        answer = await staff_command(self.conversation, command[0], command[1])
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
        return InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton(option.label, url=option.url)
                    if option.url
                    else InlineKeyboardButton(
                        option.label, callback_data=self.buttons.encode(option.action or "menu")
                    )
                    for option in row
                ]
                for row in rows
                if row
            ]
        )

    async def _deliver(self, chat_id: int, replies: list[Reply], source: Message | None) -> None:
        bot = self.application.bot
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
                await bot.send_message(
                    chat_id,
                    reply.text,
                    parse_mode=ParseMode.HTML,
                    reply_markup=markup,
                    link_preview_options=NO_PREVIEW,
                )
            except Forbidden:
                log.info("recipient_blocked_bot")
                return
