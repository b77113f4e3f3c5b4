"""How the bot posts in the staff group what people send: text cut to Telegram's limits,
files as photos, voice messages or documents, copies, and the edits that follow them.
StaffGroup (bot/channels/telegram_staff.py) decides where; this decides how."""

from __future__ import annotations

import logging
from typing import Any

from telegram import Bot, InputFile, Message, ReplyParameters
from telegram.constants import ParseMode
from telegram.error import BadRequest

from bot.channels.telegram_api import error_says
from bot.channels.text import split_text
from bot.conversation import Conversation, escape
from bot.relay import Media, Relay, RetryLater

log = logging.getLogger("bot.channels.telegram_staff")

# What Telegram takes from a bot, counted after entity parsing (TDLib MessageContent.cpp:
# message_text_length_max, message_caption_length_max).
TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024


class StaffPosts:
    conversation: Conversation
    chat_id: int
    relay: Relay | None

    @property
    def bot(self) -> Bot:
        raise NotImplementedError

    async def _edit(self, payload: dict[str, Any]) -> bool:
        """The person corrected a relayed message: its copy in the group follows. False when
        the copy cannot take the new version."""
        bot, staff = self.bot, self.chat_id
        text = escape(str(payload.get("text", "")))
        if "staff_message_id" in payload:
            message_id = int(payload["staff_message_id"])
        else:  # queued while its message was still on its way (bot/handlers/talk.py)
            found = await self.conversation.store.copy_of(str(payload.get("of")))
            if found is None:
                return False  # that message never arrived: the new version comes as new
            message_id = found[1]
        try:
            await bot.edit_message_text(text, staff, message_id, parse_mode=ParseMode.HTML)
            return True
        except BadRequest as exc:
            if error_says(exc, "not modified"):
                return True
        try:  # a photo or voice message: its caption changed
            await bot.edit_message_caption(
                staff, message_id, caption=text, parse_mode=ParseMode.HTML
            )
            return True
        except BadRequest as exc:
            return error_says(exc, "not modified")

    async def _copy(
        self, payload: dict[str, Any], thread: int | None, reply_to: ReplyParameters | None
    ) -> int:
        """A copy, never a forward. A premium user's caption may be longer than a bot may
        send: Telegram copies it as is only when the copy changes nothing (no reply to the
        header line), so in a group without topics it then comes right after the header."""
        kwargs: dict[str, Any] = {
            "from_chat_id": int(payload["chat"]),
            "message_id": int(payload["message_id"]),
            "message_thread_id": thread,
        }
        try:
            copied = await self.bot.copy_message(self.chat_id, reply_parameters=reply_to, **kwargs)
        except BadRequest as exc:
            if reply_to is None or not error_says(exc, "caption is too long"):
                raise
            copied = await self.bot.copy_message(self.chat_id, **kwargs)
        return copied.message_id

    async def _post_text(
        self, text: str, thread: int | None, reply_to: ReplyParameters | None = None
    ) -> list[int]:
        """Text in as many messages as Telegram's limit needs, cut between paragraphs, then
        lines, then words, in order: a long message is never dropped for its length."""
        sent_ids = []
        for piece in split_text(text, TEXT_LIMIT) or ["…"]:
            sent = await self.bot.send_message(
                self.chat_id, escape(piece), message_thread_id=thread,
                parse_mode=ParseMode.HTML, reply_parameters=reply_to,
            )  # fmt: skip
            sent_ids.append(sent.message_id)
        return sent_ids

    async def _post_to_staff(
        self, payload: dict[str, Any], thread: int | None, reply_to: ReplyParameters | None
    ) -> list[int]:
        """A message from a platform the group cannot copy from: its text, then its files
        (the first carries the text as caption when it fits in one). Returns the ids of the
        messages posted, the one an edit should change first."""
        staff = self.chat_id
        assert staff is not None
        text = str(payload.get("text", "")).strip()
        attachments = payload.get("attachments") or []
        if not attachments:
            return await self._post_text(text, thread, reply_to)
        if self.relay is None:
            raise RetryLater(30)
        # Everything downloaded before anything is posted: a failed download retries cleanly.
        files = [await self.relay.media(attachment) for attachment in attachments]
        sent_ids: list[int] = []
        caption: str | None = escape(text) if text else None
        if len(text) > CAPTION_LIMIT:  # too long for a caption: the text first, then files
            sent_ids = await self._post_text(text, thread, reply_to)
            caption = None
        for media in files:
            sent = await self.send_media(staff, media, caption, thread, reply_to)
            sent_ids.append(sent.message_id)
            caption = None
        return sent_ids

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
