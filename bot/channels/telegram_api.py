"""What both sides of the Telegram bot share: reading errors and commands, sending options."""

from __future__ import annotations

from datetime import timedelta

from telegram import LinkPreviewOptions, Message
from telegram.error import BadRequest, NetworkError, RetryAfter, TelegramError, TimedOut

from bot.relay import RetryLater, Undeliverable

NO_PREVIEW = LinkPreviewOptions(is_disabled=True)

# Service messages: what Telegram posts about a chat (a pin, a topic closed, a new member)
# rather than what someone wrote. None is relayed, and none could be: Telegram refuses to
# copy them ("message can't be copied").
SERVICE_FIELDS = (
    "pinned_message", "new_chat_members", "left_chat_member", "new_chat_title",
    "new_chat_photo", "delete_chat_photo", "group_chat_created", "supergroup_chat_created",
    "migrate_to_chat_id", "migrate_from_chat_id", "message_auto_delete_timer_changed",
    "forum_topic_created", "forum_topic_edited", "forum_topic_closed", "forum_topic_reopened",
    "general_forum_topic_hidden", "general_forum_topic_unhidden", "write_access_allowed",
    "video_chat_scheduled", "video_chat_started", "video_chat_ended",
    "video_chat_participants_invited", "users_shared", "chat_shared", "boost_added",
    "chat_background_set", "proximity_alert_triggered", "connected_website",
)  # fmt: skip


# What may be relayed, either way: text, photos, voice messages, videos, video notes, files,
# stickers and audio. Anything else is refused with a word of why, never passed on, never kept.
IDENTIFYING_KINDS = ("contact", "location", "venue")
OTHER_KINDS = (
    "poll", "story", "dice", "game", "invoice", "successful_payment", "passport_data",
    "paid_media", "giveaway", "checklist",
)  # fmt: skip


def is_service_message(message: Message) -> bool:
    return any(getattr(message, name, None) for name in SERVICE_FIELDS)


def refused_kind(message: Message) -> str | None:
    """'identifying' for a contact card or a place (a live location too), 'other' for
    anything else outside the allow-list, None for what may go on."""
    if any(getattr(message, kind, None) for kind in IDENTIFYING_KINDS):
        return "identifying"
    if any(getattr(message, kind, None) for kind in OTHER_KINDS):
        return "other"
    return None


def error_says(exc: TelegramError, words: str) -> bool:
    """python-telegram-bot strips "Bad Request: " from the server's description and
    capitalises the rest with str.capitalize (telegram/error.py TelegramError.__init__), so
    "Bad Request: TOPIC_CLOSED" arrives as "Topic_closed": error texts are compared without
    case, never as the server spells them."""
    return words.lower() in exc.message.lower()


def too_large(exc: TelegramError) -> bool:
    """An upload over the Bot API's 50 MB: python-telegram-bot has no class for HTTP 413
    (request/_baserequest.py makes it a NetworkError) and retrying it cannot help."""
    return not isinstance(exc, BadRequest) and (
        "(413)" in exc.message or error_says(exc, "entity too large")
    )


def relay_error(exc: TelegramError) -> RetryLater | Undeliverable:
    """What the relay should do after a Telegram error: wait (flood control, 5xx, network)
    or give the item up (a message or chat that no longer exists, a file too large)."""
    if isinstance(exc, RetryAfter):
        wait = exc.retry_after
        return RetryLater(wait.total_seconds() if isinstance(wait, timedelta) else float(wait))
    if isinstance(exc, BadRequest):  # before NetworkError: BadRequest is one of them
        return Undeliverable(type(exc).__name__)
    if too_large(exc):
        return Undeliverable("too large")
    if isinstance(exc, (TimedOut, NetworkError)):
        return RetryLater(5)
    return Undeliverable(type(exc).__name__)


def parse_command(text: str) -> tuple[str, str] | None:
    """`/Language@ParapluieBot nl` -> ("language", "nl")."""
    if not text.startswith("/") or len(text) < 2:
        return None
    head, _sep, args = text[1:].partition(" ")
    return head.split("@", 1)[0].lower(), args.strip()
