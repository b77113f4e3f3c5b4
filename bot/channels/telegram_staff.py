"""The Telegram staff group: one topic per conversation, notices, and what staff write.

The person's side of Telegram is bot/channels/telegram.py; this is the team's side of the same
bot. Conversations are relayed here under a pseudonym (bot/relay.py delivers the outbox through
`relay_to_staff`); staff answer by writing in a conversation's topic, or by replying to one of
its messages in a group without topics.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from typing import Any

from telegram import Bot, Chat, Message, ReplyParameters
from telegram.constants import ChatMemberStatus, ParseMode
from telegram.error import BadRequest, ChatMigrated, Forbidden, TelegramError
from telegram.ext import Application

from bot.channels.telegram_api import (
    NO_PREVIEW,
    error_says,
    is_service_message,
    parse_command,
    refused_kind,
    relay_error,
)
from bot.channels.telegram_posts import StaffPosts
from bot.conversation import Attachment, Conversation, escape
from bot.handlers.blocking import block_person, unblock_person
from bot.handlers.staff import (
    StaffMessage,
    close_conversation,
    relay_from_staff,
    send_topic,
    set_signature,
    staff_command,
    unreachable_text,
)
from bot.i18n import N_, _, use_language
from bot.relay import Relay, RetryLater
from bot.store.tickets import StaffNotice, Ticket

log = logging.getLogger(__name__)


def topic_gone(exc: BadRequest) -> bool:
    """A topic deleted by hand: telegram-bot-api answers every send into it this way."""
    return error_says(exc, "message thread not found")


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


class StaffGroup(StaffPosts):
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
        self.configured_chat_id = chat_id
        self.relay = relay
        self.is_forum = False
        self.reachable = True
        self.bookings_thread: int | None = None
        # Topics known to be closed (by the bot, or by staff: Telegram posts a service
        # message the bot sees as an administrator). Kept in memory: after a restart a closed
        # topic still takes the bot's messages, it is only not reopened for staff.
        self.closed_threads: set[int] = set()

    @property
    def bot(self) -> Bot:
        return self.application.bot

    async def start(self) -> None:
        moved = await self.conversation.store.setting(f"telegram_staff_chat_moved:{self.chat_id}")
        if moved is not None:
            self.chat_id = int(moved)
        self.bookings_thread = await self.find_bookings_thread()
        if not self.reachable:
            # A group that does not exist (or that the bot was removed from) answers nobody:
            # "talk to a person" shows the phones instead, and nothing is queued for it.
            return
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
        except ChatMigrated as exc:  # topics were turned on while the bot was not running
            await self.follow_migration(exc.new_chat_id)
            return self.bookings_thread
        except TelegramError as exc:
            log.error(
                "staff_chat_unreachable error=%s (add the bot to the staff group and check "
                "TELEGRAM_STAFF_CHAT_ID)",
                type(exc).__name__,
            )
            # Telegram said so (not a network failure): no conversation is sent there.
            self.reachable = not isinstance(exc, BadRequest | Forbidden)
            return None
        self.is_forum = bool(chat.is_forum)
        if member.status not in {ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER}:
            log.warning(
                "staff_chat_bot_not_admin (make the bot an admin of the staff group so it can "
                "create and close topics)"
            )
        if chat.type == Chat.GROUP:
            log.warning(
                "staff_chat_basic_group (turning topics on makes it a supergroup with a new "
                "id: the bot follows it)"
            )
        if not chat.is_forum:
            log.warning(
                "staff_chat_without_topics (conversations thread by reply; turn topics on in "
                "the group settings for one topic per conversation)"
            )
            return None
        known = await self.conversation.store.setting("telegram_bookings_thread")
        if known is not None:
            return int(known)
        return await self._create_bookings_topic()

    async def follow_migration(self, new_chat_id: int) -> None:
        """The staff group became a supergroup (turning topics on does that) and Telegram gave
        it a new id: the old one now answers every request with ChatMigrated. The new id is
        kept, so a restart with the old TELEGRAM_STAFF_CHAT_ID still finds the group."""
        if new_chat_id == self.chat_id:
            return
        configured = self.configured_chat_id
        await self.conversation.store.set_setting(
            f"telegram_staff_chat_moved:{configured}", str(new_chat_id)
        )
        self.chat_id = new_chat_id
        self.closed_threads.clear()
        log.warning("staff_chat_migrated (the new id is kept in the database)")
        self.bookings_thread = await self.find_bookings_thread()

    async def moved_here(self, chat_id: int) -> bool:
        """Whether `chat_id` is the staff group under its new id: asked of Telegram (a request
        to the old id answers with the new one) before the bot leaves a group it does not
        know, so it never leaves its own staff group after a migration."""
        if chat_id == self.chat_id:
            return True
        try:
            await self.bot.get_chat(self.chat_id)
        except ChatMigrated as exc:
            if exc.new_chat_id == chat_id:
                await self.follow_migration(chat_id)
                return True
        except TelegramError:
            pass
        return False

    async def _create_bookings_topic(self) -> int:
        with use_language(self.conversation.catalogs, self.conversation.config.default_language):
            name = _("Appointments")
        topic = await self.bot.create_forum_topic(self.chat_id, name)
        await self.conversation.store.set_setting(
            "telegram_bookings_thread", str(topic.message_thread_id)
        )
        return topic.message_thread_id

    async def _reopen(self, thread: int) -> None:
        """So staff can write in it again (the bot itself may post in a closed topic)."""
        self.closed_threads.discard(thread)
        with contextlib.suppress(BadRequest):  # open already, or gone
            await self.bot.reopen_forum_topic(self.chat_id, thread)

    async def _post_booking_notice(self, text: str) -> None:
        """In the appointments topic: reopened if staff closed it, made again if they deleted
        it, so no booking notice is lost (other relay bots lose them there)."""
        thread = self.bookings_thread if self.is_forum else None
        if thread is not None and thread in self.closed_threads:
            await self._reopen(thread)
        try:
            await self.bot.send_message(
                self.chat_id,
                text,
                parse_mode=ParseMode.HTML,
                message_thread_id=thread,
                link_preview_options=NO_PREVIEW,
            )
        except BadRequest as exc:
            if thread is None or not topic_gone(exc):
                raise
            log.warning("staff_bookings_topic_recreated")
            self.bookings_thread = await self._create_bookings_topic()
            await self.bot.send_message(
                self.chat_id,
                text,
                parse_mode=ParseMode.HTML,
                message_thread_id=self.bookings_thread,
                link_preview_options=NO_PREVIEW,
            )

    async def post_notice(self, notice: StaffNotice) -> None:
        """Booking notices in the appointments topic; a notice about one conversation in its
        topic, which it may close (or delete, where the organisation chose so)."""
        try:
            await self._post_notice(notice)
        except ChatMigrated as exc:
            await self.follow_migration(exc.new_chat_id)
            await self._post_notice(notice)

    async def _post_notice(self, notice: StaffNotice) -> None:
        if notice.thread_id is None or not self.is_forum:
            await self._post_booking_notice(notice.text)
            return
        if notice.closing and self.conversation.config.staff.delete_forgotten_topics:
            with contextlib.suppress(BadRequest):  # deleted by hand already
                await self.bot.delete_forum_topic(self.chat_id, notice.thread_id)
            return
        try:
            await self.bot.send_message(
                self.chat_id,
                notice.text,
                parse_mode=ParseMode.HTML,
                message_thread_id=notice.thread_id,
                link_preview_options=NO_PREVIEW,
            )
        except BadRequest:  # the topic was deleted by hand: the team still hears of it
            await self.bot.send_message(
                self.chat_id,
                notice.text,
                parse_mode=ParseMode.HTML,
                link_preview_options=NO_PREVIEW,
            )
            return
        if notice.closing:
            with contextlib.suppress(BadRequest):  # closed already
                await self.bot.close_forum_topic(self.chat_id, notice.thread_id)

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
            self.closed_threads.add(ticket.thread_id)
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

    async def relay_to_staff(
        self, ticket: Ticket, payload: dict[str, Any], in_general: bool = False
    ) -> None:
        """`in_general`: posted outside any topic, after a line naming the pseudonym, for a
        topic the bot may no longer post in."""
        assert self.chat_id is not None
        bot, store, staff = self.bot, self.conversation.store, self.chat_id
        try:
            thread = None if in_general else await self._ticket_thread(ticket)
            kind = payload.get("kind")
            if kind == "undelivered":
                await self._undelivered_notice(ticket, thread, payload)
                return
            if thread in self.closed_threads and kind in {"copy", "text"}:
                # Closed by hand while the person still writes: open again so staff can answer.
                await self._reopen(thread)
            if kind == "reopened":
                if thread is not None:
                    with contextlib.suppress(BadRequest):  # already open
                        await bot.reopen_forum_topic(staff, thread)
                await self._conversation_notice(
                    ticket, thread, "↩", N_("{pseudonym} is writing again.")
                )
                return
            if kind == "gone":
                await self._conversation_notice(
                    ticket, thread, "⚠️", N_(
                        "{pseudonym} can no longer be reached: their account no longer exists "
                        "on their app. The conversation is closed."
                    )
                )  # fmt: skip
                await self.close_topic(ticket)
                return
            if kind in {"ended", "exited"}:
                text = (
                    N_("{pseudonym} ended the conversation.")
                    if kind == "ended"
                    else N_(
                        "{pseudonym} used the quick exit: do not write unless they write first. "
                        "Anything written here waits until they do."
                    )
                )
                await self._conversation_notice(
                    ticket, thread, "✖" if kind == "ended" else "🚪", text
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
            reply_to = ReplyParameters(header_id) if header_id else None
            if kind == "edit":
                if await self._edit(payload):
                    return
                # Deleted by staff, or longer than the message can hold now: the new version
                # comes as a new message rather than not at all.
                sent_ids = await self._post_text("✏️ " + str(payload.get("text", "")), thread)
            elif kind == "copy":
                sent_ids = [await self._copy(payload, thread, reply_to)]
            else:
                sent_ids = await self._post_to_staff(payload, thread, reply_to)
            for sent_id in sent_ids:
                await store.remember_staff_message(sent_id, ticket.id)
            if payload.get("source"):
                await store.remember_copy(str(payload["source"]), sent_ids[0], ticket.id)
        except ChatMigrated as exc:
            await self.follow_migration(exc.new_chat_id)
            raise RetryLater(0) from exc
        except Forbidden as exc:
            raise RetryLater(60) from exc  # the bot was removed from the staff group
        except BadRequest as exc:
            if topic_gone(exc) and ticket.thread_id is not None:
                # Staff deleted the topic: the conversation goes on in a new one, which opens
                # with the summary again (what the team lost), and this message goes there.
                log.warning("staff_topic_recreated")
                await store.set_thread(ticket.id, None)
                self.closed_threads.discard(ticket.thread_id)
                await self.relay_to_staff(dataclasses.replace(ticket, thread_id=None), payload)
                return
            if error_says(exc, "TOPIC_CLOSED") and ticket.thread_id is not None and not in_general:
                # Someone closed the topic by hand, and the bot is neither an administrator
                # that can manage topics nor the topic's creator (a topic made by an earlier
                # bot account): Telegram refuses its posts there. Reopened if it can be;
                # otherwise the message goes to the group's general topic, where staff
                # answer by replying to it, rather than nowhere.
                try:
                    await bot.reopen_forum_topic(staff, ticket.thread_id)
                except TelegramError:
                    log.warning("staff_topic_closed_to_the_bot (make the bot an administrator)")
                    await self.relay_to_staff(ticket, payload, in_general=True)
                    return
                raise RetryLater(1) from exc
            raise relay_error(exc) from exc
        except TelegramError as exc:
            raise relay_error(exc) from exc

    async def _undelivered_notice(
        self, ticket: Ticket, thread: int | None, payload: dict[str, Any]
    ) -> None:
        """The relay gave something up (bot/relay.py): the team sees what is missing."""
        if payload.get("from") == "team":
            message = N_(
                "A reply could not be delivered to {pseudonym} (they may have blocked the bot)."
            )
        elif payload.get("told"):
            message = N_(
                "A message from {pseudonym} could not be posted here. "
                "They were asked to send it again."
            )
        else:
            message = N_("A message from {pseudonym} could not be posted here.")
        await self._conversation_notice(ticket, thread, "⚠️", message)

    async def _in_gone_topic(self, message: Message) -> bool:
        """A topic whose person was forgotten or purged: staff writing there are told."""
        thread = message.message_thread_id if message.is_topic_message else None
        return thread is not None and await self.conversation.store.thread_is_gone(thread)

    def _topic_event(self, message: Message) -> None:
        """Topics staff close or reopen by hand, as Telegram reports them to an administrator
        bot: a closed topic is reopened when a notice or the person's next message lands."""
        thread = message.message_thread_id
        if message.forum_topic_closed is not None and thread is not None:
            self.closed_threads.add(thread)
        elif message.forum_topic_reopened is not None and thread is not None:
            self.closed_threads.discard(thread)

    async def on_message(self, message: Message) -> None:
        """Staff commands, and what staff write in a conversation's topic (or in reply)."""
        if is_service_message(message):
            # "Topic closed", a pin, a renamed topic: nothing to relay to anyone (an empty
            # message would reach a person on Signal, and Telegram cannot copy these).
            self._topic_event(message)
            return
        command = parse_command(message.text or "")
        ticket = await self._ticket_of(message)
        answer: str | None = None
        if ticket is not None and refused_kind(message) is not None:
            with use_language(
                self.conversation.catalogs, self.conversation.config.default_language
            ):
                answer = "⚠️ " + escape(
                    _(
                        "Not sent: a location, a contact or a poll cannot be passed on. Write it "
                        "in words, or send a photo, a voice message or a file."
                    )
                )
            await message.reply_text(answer, parse_mode=ParseMode.HTML)
            return
        if command is not None and command[0] in {"close", "send", "block", "unblock"}:
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
            elif command[0] == "block":
                answer = await block_person(self.conversation, ticket, command[1])
            elif command[0] == "unblock":
                answer = await unblock_person(self.conversation, ticket)
            else:
                answer = await send_topic(self.conversation, ticket, command[1].strip().lower())
        elif command is not None and command[0] == "signature" and message.from_user is not None:
            answer = await set_signature(self.conversation, self._staff_key(message), command[1])
        elif command is not None:
            answer = await staff_command(self.conversation, command[0], command[1])
        elif ticket is not None:
            # Staff simply write in the topic (or reply): the person gets a copy from the bot.
            answer = await relay_from_staff(
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
        elif await self._in_gone_topic(message):
            answer = unreachable_text(self.conversation)
        if answer is not None:
            await message.reply_text(
                answer, parse_mode=ParseMode.HTML, link_preview_options=NO_PREVIEW
            )
