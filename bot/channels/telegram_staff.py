"""The Telegram staff group: one topic per conversation, notices, and what staff write.

The person's side of Telegram is bot/channels/telegram.py; this is the team's side of the same
bot. Conversations are relayed here under a pseudonym (bot/relay.py delivers the outbox through
`relay_to_staff`); staff answer by writing in a conversation's topic, or by replying to one of
its messages in a group without topics.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from telegram import Bot, InputFile, Message, ReplyParameters
from telegram.constants import ChatMemberStatus, ParseMode
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import Application

from bot.channels.telegram_api import NO_PREVIEW, parse_command, relay_error
from bot.conversation import Attachment, Conversation, escape
from bot.handlers.staff import (
    StaffMessage,
    close_conversation,
    relay_from_staff,
    send_topic,
    set_signature,
    staff_command,
)
from bot.i18n import N_, _, use_language
from bot.relay import Media, Relay, RetryLater
from bot.store.tickets import Ticket

log = logging.getLogger(__name__)


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


class StaffGroup:
    def __init__(
        self,
        conversation: Conversation,
        application: Application[Any, Any, Any, Any, Any, Any],
        chat_id: int,
        relay: Relay | None,
    ) -> None:
        self.conversation = conversation
        self.application = application
        self.chat_id = chat_id
        self.relay = relay
        self.is_forum = False
        self.bookings_thread: int | None = None

    @property
    def bot(self) -> Bot:
        return self.application.bot

    async def start(self) -> None:
        self.bookings_thread = await self.find_bookings_thread()
        self.conversation.outbound.register_staff(self.post_notice)
        if self.relay is not None:
            self.relay.deliver_to_staff_with(self.relay_to_staff)

    async def find_bookings_thread(self) -> int | None:
        """Booking notices go to their own topic when the staff group has topics."""
        assert self.chat_id is not None
        bot = self.bot
        try:
            chat, member = await asyncio.gather(
                bot.get_chat(self.chat_id), bot.get_chat_member(self.chat_id, bot.id)
            )
        except TelegramError as exc:
            log.error(
                "staff_chat_unreachable error=%s (add the bot to the staff group and check "
                "TELEGRAM_STAFF_CHAT_ID)",
                type(exc).__name__,
            )
            return None
        self.is_forum = bool(chat.is_forum)
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
        topic = await self.bot.create_forum_topic(self.chat_id, name)
        await store.set_setting("telegram_bookings_thread", str(topic.message_thread_id))
        return topic.message_thread_id

    async def post_notice(self, text: str) -> None:
        assert self.chat_id is not None
        await self.bot.send_message(
            self.chat_id,
            text,
            parse_mode=ParseMode.HTML,
            message_thread_id=self.bookings_thread,
            link_preview_options=NO_PREVIEW,
        )

    def _staff_key(self, message: Message) -> str:
        user_id = message.from_user.id if message.from_user else 0
        return self.conversation.keys.pseudonym("telegram-staff", str(user_id))

    async def _ticket_of(self, message: Message) -> Ticket | None:
        """The conversation a staff message belongs to: its topic, or the message it answers."""
        store = self.conversation.store
        if self.is_forum and message.is_topic_message and message.message_thread_id:
            found = await store.ticket_by_thread(message.message_thread_id)
            if found is not None:
                return found
        replied = message.reply_to_message
        if replied is not None and not replied.forum_topic_created:
            return await store.ticket_by_staff_message(replied.message_id)
        return None

    async def close_topic(self, ticket: Ticket) -> None:
        if self.is_forum and ticket.thread_id and self.chat_id is not None:
            with contextlib.suppress(TelegramError):
                await self.bot.close_forum_topic(self.chat_id, ticket.thread_id)

    async def _ticket_thread(self, ticket: Ticket) -> int | None:
        """One topic per conversation, named with pseudonym, language and subject."""
        if not self.is_forum:
            return None
        assert self.chat_id is not None
        bot, store = self.bot, self.conversation.store
        if ticket.thread_id is not None:
            return ticket.thread_id
        subject = self._subject_title(ticket)
        name = (
            f"{ticket.pseudonym} · {ticket.language.upper()}"
            + (f" · {subject}" if subject else "")
            + await self._via(ticket)
        )
        topic = await bot.create_forum_topic(self.chat_id, name[:128])
        await store.set_thread(ticket.id, topic.message_thread_id)
        summary = await bot.send_message(
            self.chat_id,
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
        assert self.chat_id is not None
        config = self.conversation.config
        with use_language(self.conversation.catalogs, config.default_language):
            text = f"{icon} " + _(message).format(pseudonym=ticket.pseudonym)
        sent = await self.bot.send_message(
            self.chat_id, escape(text), parse_mode=ParseMode.HTML, message_thread_id=thread
        )
        await self.conversation.store.remember_staff_message(sent.message_id, ticket.id)

    async def relay_to_staff(self, ticket: Ticket, payload: dict[str, Any]) -> None:
        assert self.chat_id is not None
        bot, store, staff = self.bot, self.conversation.store, self.chat_id
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
                await self.close_topic(ticket)
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
        bot, staff = self.bot, self.chat_id
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
            sent = await self.send_media(staff, media, caption, thread, reply_to)
            if first_id is None:
                first_id = sent.message_id
        assert first_id is not None
        return first_id

    async def send_media(
        self,
        chat_id: int,
        media: Media,
        caption: str | None,
        thread: int | None,
        reply_to: ReplyParameters | None = None,
    ) -> Message:
        """Photos as photos and voice messages as voice messages where Telegram takes them;
        anything it refuses arrives as a file rather than not at all."""
        bot = self.bot
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

    async def on_message(self, message: Message) -> None:
        """Staff commands, and what staff write in a conversation's topic (or in reply)."""
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
                await self.close_topic(ticket)
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
