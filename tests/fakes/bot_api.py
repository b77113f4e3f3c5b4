"""A fake Telegram Bot API server on 127.0.0.1 for the tests.

It speaks the real HTTP protocol python-telegram-bot uses, keeps the chat as a user would see
it (the current text and buttons of every message), and rejects what Telegram rejects: text
over 4096 characters, HTML it cannot parse, unknown chats, callback data over 64 bytes,
edits that change nothing, callback queries answered twice.
"""

from __future__ import annotations

import asyncio
import html
import itertools
import json
import re
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

# TDLib counts both in characters after entity parsing (MessageContent.cpp: message_text_length_max
# and message_caption_length_max, 4096 and 1024 for bots).
TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
BOT_USER = {
    "id": 7000000001,
    "is_bot": True,
    "first_name": "Parapluie",
    "username": "ParapluieTestBot",
    "can_join_groups": True,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}
ALLOWED_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre"}
_TAG = re.compile(r'<(/?)([a-z-]+)((?:\s+[a-z-]+="[^"]*")*)\s*>')
_ENTITY = re.compile(r"&(lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);")


class ApiError(Exception):
    def __init__(
        self, description: str, code: int = 400, parameters: dict[str, Any] | None = None
    ) -> None:
        super().__init__(description)
        self.description = description
        self.code = code
        self.parameters = parameters


def parse_html(text: str) -> str:
    """Return the plain text Telegram would show, or raise as Telegram does on bad HTML."""
    plain: list[str] = []
    stack: list[str] = []
    index = 0
    while index < len(text):
        char = text[index]
        if char == "<":
            match = _TAG.match(text, index)
            if not match or match.group(2) not in ALLOWED_TAGS:
                raise ApiError(
                    f"Bad Request: can't parse entities: unsupported start tag at offset {index}"
                )
            closing, tag = match.group(1) == "/", match.group(2)
            if closing:
                if not stack or stack[-1] != tag:
                    raise ApiError(
                        f"Bad Request: can't parse entities: unmatched end tag at offset {index}"
                    )
                stack.pop()
            else:
                stack.append(tag)
            index = match.end()
        elif char == "&":
            match = _ENTITY.match(text, index)
            if not match:
                raise ApiError(
                    f"Bad Request: can't parse entities: unescaped & at byte offset {index}"
                )
            plain.append(html.unescape(match.group(0)))
            index = match.end()
        elif char == ">":
            raise ApiError(f"Bad Request: can't parse entities: unescaped > at byte offset {index}")
        else:
            plain.append(char)
            index += 1
    if stack:
        raise ApiError(
            "Bad Request: can't parse entities: can't find end tag corresponding to start tag "
            + stack[-1]
        )
    return "".join(plain)


@dataclass
class FakeUser:
    id: int
    first_name: str = "Maria"
    username: str | None = "maria_secret"
    language_code: str | None = "fr"

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.username:
            data["username"] = self.username
        if self.language_code:
            data["language_code"] = self.language_code
        return data


@dataclass
class ChatMessage:
    """A message as it stands in the chat now."""

    message_id: int
    chat_id: int
    from_bot: bool
    text: str
    html: str = ""
    buttons: list[list[dict[str, Any]]] = field(default_factory=list)
    edits: int = 0
    last_change: int = 0
    thread_id: int | None = None
    media: str | None = None  # "photo", "voice", "document", "sticker"
    copied_from: tuple[int, int] | None = None
    reply_to: int | None = None
    from_user: dict[str, Any] | None = None
    file_bytes: bytes | None = None  # what was uploaded with sendPhoto, sendVoice...
    date: float = field(default_factory=time.time)  # when it was sent, for deletion limits

    def button_labels(self) -> list[str]:
        return [b["text"] for row in self.buttons for b in row]

    def button(self, label_part: str) -> dict[str, Any]:
        for row in self.buttons:
            for button in row:
                if label_part in button["text"]:
                    return button
        raise AssertionError(f"no button containing {label_part!r} in {self.button_labels()}")


class FakeBotAPI:
    def __init__(self, token: str = "123456789:TEST-token-for-the-fake-server_xx") -> None:
        self._activity: dict[int, int] = {}
        self.token = token
        self.chats: dict[int, dict[str, Any]] = {}
        self.messages: dict[int, dict[int, ChatMessage]] = {}
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.commands: dict[tuple[str, str], list[dict[str, str]]] = {}
        self.left_chats: list[int] = []
        self.topics: dict[int, dict[int, str]] = {}
        self.closed_topics: dict[int, set[int]] = {}
        self.topic_creators: dict[tuple[int, int], int] = {}  # (chat, thread) -> user id
        self.blocked_by: set[int] = set()  # people who blocked the bot
        self.bot_admin_in: set[int] = set()
        self.migrated: dict[int, int] = {}  # basic group -> the supergroup it became
        # Errors to answer instead of the real result: method -> list of (status, retry_after).
        self.failures: dict[str, list[tuple[int, int | None]]] = {}
        # Seconds to wait before answering a method: a slow network.
        self.delays: dict[str, float] = {}
        # Seconds between doing what a method asks and answering: the answer is slow.
        self.slow_answers: dict[str, float] = {}
        self.answered: dict[str, dict[str, Any]] = {}
        # Requests being answered right now, per chat, and the most seen at once.
        self.in_flight: dict[str, int] = {}
        self.most_in_flight: dict[str, int] = {}
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1)
        self.last_update_id = 0
        self._message_ids = itertools.count(100)
        self._query_ids = itertools.count(1)
        self._changes = itertools.count(1)
        self._open_queries: set[str] = set()
        self.files: dict[str, bytes] = {}  # file_id -> content, for getFile and downloads
        # Bot API "Sending files": 50 MB for uploads by a bot (tests lower it rather than
        # build files that large).
        self.upload_limit = 50 * 1024 * 1024
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self.url = ""

    # --- server --------------------------------------------------------------------------------
    async def start(self, port: int = 0) -> str:
        app = web.Application(client_max_size=self.upload_limit + 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._dispatch)
        app.router.add_get("/file/bot{token}/{path:.*}", self._download)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"
        return self.url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _dispatch(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        method = request.match_info["method"]
        if (request.content_length or 0) > self.upload_limit:
            # What api.telegram.org answers an upload over the limit; python-telegram-bot has
            # no exception for it and raises a NetworkError (request/_baserequest.py).
            self.calls.append((method, {"refused": "too large"}))
            return web.json_response(
                {"ok": False, "error_code": 413, "description": "Request Entity Too Large"},
                status=413,
            )
        params = await self._params(request)
        self.calls.append((method, params))
        chat = str(params.get("chat_id", ""))
        for key in ("all", chat):
            self.in_flight[key] = self.in_flight.get(key, 0) + 1
            self.most_in_flight[key] = max(self.most_in_flight.get(key, 0), self.in_flight[key])
        try:
            return await self._answer(method, params)
        finally:
            for key in ("all", chat):
                self.in_flight[key] -= 1

    async def _answer(self, method: str, params: dict[str, Any]) -> web.Response:
        delay = self.delays.get(method)
        if delay:
            await asyncio.sleep(delay)
        planned = self.failures.get(method)
        if planned:
            status, retry_after = planned.pop(0)
            body: dict[str, Any] = {"ok": False, "error_code": status}
            if retry_after is not None:
                body["description"] = f"Too Many Requests: retry after {retry_after}"
                body["parameters"] = {"retry_after": retry_after}
            else:
                body["description"] = "Internal Server Error"
            return web.json_response(body, status=status)
        handler = getattr(self, f"api_{method}", None)
        if handler is None:
            return web.json_response(
                {"ok": False, "error_code": 404, "description": "Not Found: method not found"},
                status=404,
            )
        try:
            result = await handler(params)
        except ApiError as exc:
            body = {"ok": False, "error_code": exc.code, "description": exc.description}
            if exc.parameters:
                body["parameters"] = exc.parameters
            return web.json_response(body, status=exc.code)
        async with self._changed:
            self._changed.notify_all()
        late = self.slow_answers.get(method)
        if late:  # done on Telegram's side, the answer still on its way back
            await asyncio.sleep(late)
        return web.json_response({"ok": True, "result": result})

    async def _download(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.Response(status=401)
        data = self.files.get(request.match_info["path"].rsplit("/", 1)[-1])
        if data is None:
            return web.Response(status=404)
        return web.Response(body=data)

    @staticmethod
    async def _params(request: web.Request) -> dict[str, Any]:
        if request.content_type == "application/json":
            return dict(await request.json())
        raw = await request.post()
        params: dict[str, Any] = {}
        for key, value in raw.items():
            if isinstance(value, web.FileField):
                params[key] = {"filename": value.filename, "data": value.file.read()}
                continue
            if isinstance(value, str) and value[:1] in "[{":
                try:
                    params[key] = json.loads(value)
                    continue
                except ValueError:
                    pass
            params[key] = value
        return params

    # --- what users do -------------------------------------------------------------------------
    def open_private_chat(self, user: FakeUser) -> None:
        self.chats[user.id] = {"id": user.id, "type": "private", "first_name": user.first_name}
        self.messages.setdefault(user.id, {})

    def open_group_chat(
        self, chat_id: int, title: str = "Staff", forum: bool = False, bot_admin: bool = True,
        basic: bool = False,
    ) -> None:  # fmt: skip
        """A supergroup, or with `basic` a basic group (which has no topics)."""
        kind = "group" if basic else "supergroup"
        self.chats[chat_id] = {"id": chat_id, "type": kind, "title": title}
        if bot_admin:
            self.bot_admin_in.add(chat_id)
        if forum:
            self.chats[chat_id]["is_forum"] = True
        self.messages.setdefault(chat_id, {})

    def offsets_asked(self) -> list[int]:
        return [int(p.get("offset") or 0) for p in self.calls_to("getUpdates")]

    def _push(self, update: dict[str, Any]) -> int:
        update_id = next(self._update_ids)
        update["update_id"] = update_id
        self.last_update_id = update_id
        self._updates.append(update)
        asyncio.get_running_loop().create_task(self._notify())
        return update_id

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    def user_sends(self, user: FakeUser, text: str) -> int:
        self.open_private_chat(user)
        message_id = next(self._message_ids)
        self.messages[user.id][message_id] = ChatMessage(message_id, user.id, False, text)
        message: dict[str, Any] = {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": self.chats[user.id],
            "from": user.as_dict(),
            "text": text,
        }
        if text.startswith("/"):
            length = len(text.split(" ", 1)[0])
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
        self._push({"message": message})
        return message_id

    def user_sends_kind(self, user: FakeUser, fields: dict[str, Any]) -> int:
        """Any other kind of message, as its Bot API fields: a contact card, a location, a
        venue, a poll, a story ({"contact": {...}}, {"location": {...}}...)."""
        self.open_private_chat(user)
        message_id = next(self._message_ids)
        kind = next((key for key in fields if key != "caption"), None)
        self.messages[user.id][message_id] = ChatMessage(message_id, user.id, False, "", media=kind)
        message: dict[str, Any] = {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": self.chats[user.id],
            "from": user.as_dict(),
            **fields,
        }
        self._push({"message": message})
        return message_id

    def user_sends_document(
        self, user: FakeUser, data: bytes, file_name: str, mime_type: str, caption: str = ""
    ) -> int:
        """A file as Telegram delivers it: its original name and type come with it."""
        file_id = f"doc{len(self.files)}"
        self.files[file_id] = data
        return self.user_sends_kind(
            user,
            {
                "document": {
                    "file_id": file_id,
                    "file_unique_id": f"u{file_id}",
                    "file_name": file_name,
                    "mime_type": mime_type,
                    "file_size": len(data),
                },
                **({"caption": caption} if caption else {}),
            },
        )

    def user_sends_media(self, user: FakeUser, kind: str, caption: str = "") -> int:
        """A photo, voice message, document or sticker (as Telegram sends them)."""
        self.open_private_chat(user)
        message_id = next(self._message_ids)
        self.messages[user.id][message_id] = ChatMessage(
            message_id, user.id, False, caption, media=kind
        )
        media = {
            "photo": {"photo": [{"file_id": "p", "file_unique_id": "u1", "width": 9, "height": 9}]},
            "voice": {"voice": {"file_id": "vo1", "file_unique_id": "u2", "duration": 3}},
            "document": {"document": {"file_id": "do1", "file_unique_id": "u3",
                                      "file_name": "scan.pdf", "mime_type": "application/pdf"}},
            "sticker": {"sticker": {"file_id": "st1", "file_unique_id": "u4", "type": "regular",
                                    "width": 512, "height": 512, "is_animated": False,
                                    "is_video": False}},
        }[kind]  # fmt: skip
        if kind == "document":
            self.files.setdefault("do1", b"%PDF-1.4 a scanned letter")
        message: dict[str, Any] = {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": self.chats[user.id],
            "from": user.as_dict(),
            **media,
        }
        if caption:
            message["caption"] = caption
        self._push({"message": message})
        return message_id

    def staff_writes(
        self, staff: FakeUser, chat_id: int, text: str, thread_id: int | None = None,
        reply_to: int | None = None,
    ) -> int:  # fmt: skip
        """A staff member writes in the staff group: in a topic, or as a reply."""
        message_id = next(self._message_ids)
        self.messages[chat_id][message_id] = ChatMessage(
            message_id, chat_id, False, text, from_user=staff.as_dict()
        )
        message: dict[str, Any] = {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": self.chats[chat_id],
            "from": staff.as_dict(),
            "text": text,
        }
        if thread_id is not None:
            message["message_thread_id"] = thread_id
            message["is_topic_message"] = True
        if reply_to is not None:
            replied = self.messages[chat_id][reply_to]
            message["reply_to_message"] = {
                "message_id": reply_to, "date": int(time.time()), "chat": self.chats[chat_id],
                "text": replied.text or "(media)",
            }  # fmt: skip
        if text.startswith("/"):
            length = len(text.split(" ", 1)[0])
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
        self._push({"message": message})
        return message_id

    def staff_sends_media(
        self, staff: FakeUser, chat_id: int, kind: str, data: bytes, caption: str = "",
        thread_id: int | None = None, file_name: str = "plan.pdf",
    ) -> int:  # fmt: skip
        """A staff member posts a photo, voice message or document in a conversation's topic."""
        message_id = next(self._message_ids)
        file_id = f"{kind}-{message_id}"
        self.files[file_id] = data
        self.messages[chat_id][message_id] = ChatMessage(
            message_id, chat_id, False, caption, media=kind, from_user=staff.as_dict(),
            file_bytes=data,
        )  # fmt: skip
        media = {
            "photo": {"photo": [
                {"file_id": f"{file_id}-small", "file_unique_id": "s", "width": 9, "height": 9},
                {"file_id": file_id, "file_unique_id": "l", "width": 90, "height": 90},
            ]},
            "voice": {"voice": {"file_id": file_id, "file_unique_id": "v", "duration": 3,
                                "mime_type": "audio/ogg"}},
            "document": {"document": {"file_id": file_id, "file_unique_id": "d",
                                      "file_name": file_name, "mime_type": "application/pdf"}},
        }[kind]  # fmt: skip
        message: dict[str, Any] = {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": self.chats[chat_id],
            "from": staff.as_dict(),
            **media,
        }
        if caption:
            message["caption"] = caption
        if thread_id is not None:
            message["message_thread_id"] = thread_id
            message["is_topic_message"] = True
        self._push({"message": message})
        return message_id

    def service_message(
        self, by: FakeUser, chat_id: int, fields: dict[str, Any], thread_id: int | None = None
    ) -> int:
        """What Telegram posts about a chat rather than what someone wrote: a pin
        ({"pinned_message": {...}}), an auto-delete timer, a topic renamed. Bots get them as
        messages; they cannot be copied."""
        return self._group_post(by, chat_id, fields, thread_id, "service")

    def pinned(self, chat_id: int, message_id: int) -> dict[str, Any]:
        """The "pinned_message" field of a pin's service message."""
        return {"pinned_message": self._message_json(self.messages[chat_id][message_id])}

    def staff_sends_kind(
        self, staff: FakeUser, chat_id: int, fields: dict[str, Any], thread_id: int | None = None
    ) -> int:
        """A location, a contact card, a poll... posted by a staff member in a topic."""
        return self._group_post(staff, chat_id, fields, thread_id, next(iter(fields)))

    def _group_post(
        self, by: FakeUser, chat_id: int, fields: dict[str, Any], thread_id: int | None,
        kind: str,
    ) -> int:  # fmt: skip
        message_id = next(self._message_ids)
        self.messages.setdefault(chat_id, {})[message_id] = ChatMessage(
            message_id, chat_id, False, "", media=kind, thread_id=thread_id,
            from_user=by.as_dict(),
        )  # fmt: skip
        message: dict[str, Any] = {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": self.chats[chat_id],
            "from": by.as_dict(),
            **fields,
        }
        if thread_id is not None:
            message["message_thread_id"] = thread_id
            message["is_topic_message"] = True
        self._push({"message": message})
        return message_id

    def staff_closes_topic(self, staff: FakeUser, chat_id: int, thread_id: int) -> None:
        """A staff member closes a topic by hand. Telegram posts a service message in it,
        which an administrator bot receives like any message of the group."""
        self.closed_topics.setdefault(chat_id, set()).add(thread_id)
        self._push(
            {
                "message": {
                    "message_id": next(self._message_ids),
                    "date": int(time.time()),
                    "chat": self.chats[chat_id],
                    "from": staff.as_dict(),
                    "message_thread_id": thread_id,
                    "is_topic_message": True,
                    "forum_topic_closed": {},
                }
            }
        )

    def staff_enables_topics(self, staff: FakeUser, chat_id: int, new_chat_id: int) -> None:
        """Topics turned on in a basic group: Telegram first upgrades it to a supergroup, with
        a new id. The bot gets two service messages, "migrate_from_chat_id" in the new chat
        and "migrate_to_chat_id" in the old one (tdlib/telegram-bot-api#170: one update per
        chat), and from then on every request naming the old id is refused with the new id
        (Client.cpp: "group chat was upgraded to a supergroup chat", migrate_to_chat_id)."""
        title = self.chats[chat_id].get("title", "Staff")
        self.chats[new_chat_id] = {
            "id": new_chat_id, "type": "supergroup", "title": title, "is_forum": True,
        }  # fmt: skip
        self.messages.setdefault(new_chat_id, {})
        if chat_id in self.bot_admin_in:
            self.bot_admin_in.add(new_chat_id)
        self.migrated[chat_id] = new_chat_id
        for chat, field_name, other in (
            (self.chats[new_chat_id], "migrate_from_chat_id", chat_id),
            ({"id": chat_id, "type": "group", "title": title}, "migrate_to_chat_id", new_chat_id),
        ):
            self._push(
                {
                    "message": {
                        "message_id": next(self._message_ids),
                        "date": int(time.time()),
                        "chat": chat,
                        "from": staff.as_dict(),
                        field_name: other,
                    }
                }
            )

    def staff_deletes_topic(self, staff: FakeUser, chat_id: int, thread_id: int) -> None:
        """A staff member deletes a topic (deleteForumTopic as an administrator): the topic
        and all its messages go, and bots get no update for it (deletions never reach bots)."""
        self._delete_topic(chat_id, thread_id)

    def _delete_topic(self, chat_id: int, thread_id: int) -> None:
        self.topics.get(chat_id, {}).pop(thread_id, None)
        self.closed_topics.get(chat_id, set()).discard(thread_id)
        self.messages[chat_id] = {
            key: m for key, m in self.messages[chat_id].items() if m.thread_id != thread_id
        }

    def time_passes(self, chat_id: int, hours: float) -> None:
        """Every message of a chat becomes older (the deletion limits depend on age)."""
        for message in self.messages.get(chat_id, {}).values():
            message.date -= hours * 3600

    def user_deletes(self, user: FakeUser, message_id: int) -> None:
        """A person deletes one of their messages; Telegram tells bots nothing of it."""
        self.messages[user.id].pop(message_id, None)

    def user_blocks_bot(self, user: FakeUser) -> None:
        self.blocked_by.add(user.id)

    def user_edits(self, user: FakeUser, message_id: int, text: str) -> None:
        message = self.messages[user.id][message_id]
        message.text = text
        self._push(
            {
                "edited_message": {
                    "message_id": message_id,
                    "date": int(time.time()),
                    "edit_date": int(time.time()),
                    "chat": self.chats[user.id],
                    "from": user.as_dict(),
                    "text": text,
                }
            }
        )

    def user_taps(self, user: FakeUser, message: ChatMessage, label_part: str) -> str:
        button = message.button(label_part)
        return self.user_sends_callback(user, message, button["callback_data"])

    def user_sends_callback(self, user: FakeUser, message: ChatMessage, data: str) -> str:
        query_id = str(next(self._query_ids))
        self._open_queries.add(query_id)
        self._push(
            {
                "callback_query": {
                    "id": query_id,
                    "from": user.as_dict(),
                    "chat_instance": f"ci{user.id}",
                    "data": data,
                    "message": self._message_json(message),
                }
            }
        )
        return query_id

    def bot_added_to_group(self, by: FakeUser, group_id: int) -> None:
        self.chats[group_id] = {"id": group_id, "type": "group", "title": "Some group"}
        self._push(
            {
                "my_chat_member": {
                    "chat": self.chats[group_id],
                    "from": by.as_dict(),
                    "date": int(time.time()),
                    "old_chat_member": {"status": "left", "user": BOT_USER},
                    "new_chat_member": {"status": "member", "user": BOT_USER},
                }
            }
        )

    def group_message(self, by: FakeUser, group_id: int, text: str) -> None:
        self.chats.setdefault(
            group_id, {"id": group_id, "type": "supergroup", "title": "Some group"}
        )
        self._push(
            {
                "message": {
                    "message_id": next(self._message_ids),
                    "date": int(time.time()),
                    "chat": self.chats[group_id],
                    "from": by.as_dict(),
                    "text": text,
                }
            }
        )

    # --- what tests look at --------------------------------------------------------------------
    def bot_messages(self, chat_id: int) -> list[ChatMessage]:
        return [m for m in self.messages.get(chat_id, {}).values() if m.from_bot]

    def last_bot_message(self, chat_id: int) -> ChatMessage:
        messages = self.bot_messages(chat_id)
        assert messages, "the bot has not written in this chat"
        return messages[-1]

    def activity(self, chat_id: int) -> int:
        """A counter that grows with every message or edit the bot makes in a chat (and never
        shrinks when messages are deleted)."""
        return self._activity.get(chat_id, 0)

    async def wait_for(self, predicate: Any, timeout: float = 10.0) -> None:
        async def _wait() -> None:
            async with self._changed:
                await self._changed.wait_for(predicate)

        await asyncio.wait_for(_wait(), timeout)

    async def wait_for_activity(
        self, chat_id: int, since: int, timeout: float = 10.0
    ) -> ChatMessage:
        await self.wait_for(lambda: self.activity(chat_id) > since, timeout)
        return self.latest_changed(chat_id)

    def latest_changed(self, chat_id: int) -> ChatMessage:
        return max(self.bot_messages(chat_id), key=lambda m: m.last_change)

    def calls_to(self, method: str) -> list[dict[str, Any]]:
        return [params for name, params in self.calls if name == method]

    # --- Bot API methods -----------------------------------------------------------------------
    async def api_getMe(self, params: dict[str, Any]) -> dict[str, Any]:
        return BOT_USER

    async def api_deleteWebhook(self, params: dict[str, Any]) -> bool:
        return True

    async def api_setMyCommands(self, params: dict[str, Any]) -> bool:
        scope = params.get("scope") or {"type": "default"}
        for command in params["commands"]:
            if (
                not re.fullmatch(r"[a-z0-9_]{1,32}", command["command"])
                or not 1 <= len(command["description"]) <= 256
            ):
                raise ApiError("Bad Request: BOT_COMMAND_INVALID")
        self.commands[(scope["type"], params.get("language_code") or "")] = params["commands"]
        return True

    async def api_getUpdates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        timeout = float(params.get("timeout") or 0)
        self._updates = [u for u in self._updates if u["update_id"] >= offset]
        if not self._updates and timeout:
            try:
                async with self._changed:
                    await asyncio.wait_for(
                        self._changed.wait_for(lambda: bool(self._updates)), timeout
                    )
            except TimeoutError:
                pass
        return list(self._updates[: int(params.get("limit") or 100)])

    def _chat(self, params: dict[str, Any]) -> int:
        chat_id = int(params["chat_id"])
        if chat_id in self.migrated:
            raise ApiError(
                "Bad Request: group chat was upgraded to a supergroup chat",
                parameters={"migrate_to_chat_id": self.migrated[chat_id]},
            )
        if chat_id not in self.chats or chat_id in self.left_chats:
            raise ApiError("Bad Request: chat not found")
        if chat_id in self.blocked_by:
            # telegram-bot-api Client.cpp: USER_IS_BLOCKED becomes 403 "bot was blocked by
            # the user".
            raise ApiError("Forbidden: bot was blocked by the user", 403)
        return chat_id

    @staticmethod
    def _check_markup(params: dict[str, Any]) -> list[list[dict[str, Any]]]:
        markup = params.get("reply_markup") or {}
        rows = markup.get("inline_keyboard", [])
        for row in rows:
            for button in row:
                data = button.get("callback_data")
                url = button.get("url")
                if data is not None and not 1 <= len(data.encode()) <= 64:
                    raise ApiError("Bad Request: BUTTON_DATA_INVALID")
                if url is not None and not re.match(r"^(https?|tg)://", url):
                    raise ApiError("Bad Request: BUTTON_URL_INVALID")
                if data is None and url is None:
                    raise ApiError("Bad Request: can't parse inline keyboard button")
                if not button.get("text"):
                    raise ApiError("Bad Request: BUTTON_TEXT_EMPTY")
        return rows

    @staticmethod
    def _text(params: dict[str, Any]) -> tuple[str, str]:
        raw = str(params.get("text") or "")
        plain = parse_html(raw) if params.get("parse_mode") == "HTML" else raw
        if not plain.strip():
            raise ApiError("Bad Request: message text is empty")
        if len(plain) > TEXT_LIMIT:
            raise ApiError("Bad Request: message is too long")
        return raw, plain

    def _message_json(self, message: ChatMessage) -> dict[str, Any]:
        data: dict[str, Any] = {
            "message_id": message.message_id,
            "date": int(time.time()),
            "chat": self.chats[message.chat_id],
            "text": message.text,
        }
        if message.from_bot:
            data["from"] = BOT_USER
        if message.buttons:
            data["reply_markup"] = {"inline_keyboard": message.buttons}
        return data

    def _touch(self, message: ChatMessage) -> None:
        message.last_change = next(self._changes)
        if message.from_bot:
            self._activity[message.chat_id] = self._activity.get(message.chat_id, 0) + 1

    def _post(self, message: ChatMessage, params: dict[str, Any]) -> dict[str, Any]:
        """A bot message lands in its chat: in a topic or as a reply if asked."""
        message.thread_id = self._thread(message.chat_id, params)
        reply = params.get("reply_parameters") or {}
        message.reply_to = int(reply["message_id"]) if reply.get("message_id") else None
        self._touch(message)
        self.messages[message.chat_id][message.message_id] = message
        return self._message_json(message)

    async def api_sendMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = self._chat(params)
        raw, plain = self._text(params)
        rows = self._check_markup(params)
        message = ChatMessage(next(self._message_ids), chat_id, True, plain, raw, rows)
        return self._post(message, params)

    async def _send_media(self, kind: str, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = self._chat(params)
        upload = params.get(kind)
        if not isinstance(upload, dict) or not upload.get("data"):
            raise ApiError(f"Bad Request: there is no {kind} in the request")
        caption = str(params.get("caption") or "")
        plain = parse_html(caption) if params.get("parse_mode") == "HTML" else caption
        if len(plain) > CAPTION_LIMIT:
            raise ApiError("Bad Request: message caption is too long")
        message = ChatMessage(
            next(self._message_ids), chat_id, True, plain, caption, media=kind,
            file_bytes=upload["data"],
        )  # fmt: skip
        return self._post(message, params)

    async def api_sendPhoto(self, params: dict[str, Any]) -> dict[str, Any]:
        return await self._send_media("photo", params)

    async def api_sendVoice(self, params: dict[str, Any]) -> dict[str, Any]:
        return await self._send_media("voice", params)

    async def api_sendVideo(self, params: dict[str, Any]) -> dict[str, Any]:
        return await self._send_media("video", params)

    async def api_sendDocument(self, params: dict[str, Any]) -> dict[str, Any]:
        return await self._send_media("document", params)

    async def api_getFile(self, params: dict[str, Any]) -> dict[str, Any]:
        file_id = str(params["file_id"])
        if file_id not in self.files:
            raise ApiError("Bad Request: invalid file_id")
        return {
            "file_id": file_id,
            "file_unique_id": f"u-{file_id}",
            "file_size": len(self.files[file_id]),
            "file_path": f"documents/{file_id}",
        }

    async def api_editMessageText(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = self._chat(params)
        message = self.messages[chat_id].get(int(params["message_id"]))
        if message is None or not message.from_bot:
            raise ApiError("Bad Request: message to edit not found")
        if message.media is not None:
            raise ApiError("Bad Request: there is no text in the message to edit")
        raw, plain = self._text(params)
        rows = self._check_markup(params)
        if plain == message.text and rows == message.buttons:
            raise ApiError(
                "Bad Request: message is not modified: specified new message content and reply "
                "markup are exactly the same as a current content and reply markup of the message"
            )
        message.text, message.html, message.buttons = plain, raw, rows
        message.edits += 1
        self._touch(message)
        return self._message_json(message)

    async def api_editMessageCaption(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = self._chat(params)
        message = self.messages[chat_id].get(int(params["message_id"]))
        if message is None or not message.from_bot or message.media is None:
            raise ApiError("Bad Request: message to edit not found")
        caption = parse_html(str(params.get("caption", "")))
        if len(caption) > CAPTION_LIMIT:
            raise ApiError("Bad Request: message caption is too long")
        message.text = caption
        message.edits += 1
        self._touch(message)
        return self._message_json(message)

    async def api_answerCallbackQuery(self, params: dict[str, Any]) -> bool:
        query_id = str(params["callback_query_id"])
        if query_id not in self._open_queries:
            raise ApiError(
                "Bad Request: query is too old and response timeout expired or query ID is invalid"
            )
        self._open_queries.discard(query_id)
        self.answered[query_id] = params
        return True

    def _deletable(self, message: ChatMessage) -> bool:
        """Bot API deleteMessage: "A message can only be deleted if it was sent less than 48
        hours ago"; "a dice message in a private chat can only be deleted if it was sent more
        than 24 hours ago" (TDLib MessagesManager::can_revoke_message, which is what refuses;
        telegram-bot-api Client.cpp passes its "Message can't be deleted for everyone" on with
        the first letter lowered)."""
        age = time.time() - message.date
        if age > 48 * 3600:  # DEFAULT_REVOKE_TIME_LIMIT for bots: 2 * 86400
            return False
        private = self.chats[message.chat_id].get("type") == "private"
        return not (private and message.media == "dice" and age < 24 * 3600)

    async def api_deleteMessage(self, params: dict[str, Any]) -> bool:
        chat_id = self._chat(params)
        message = self.messages[chat_id].get(int(params["message_id"]))
        if message is None:
            raise ApiError("Bad Request: message to delete not found")
        if not self._deletable(message):
            raise ApiError("Bad Request: message can't be deleted for everyone")
        del self.messages[chat_id][message.message_id]
        return True

    async def api_deleteMessages(self, params: dict[str, Any]) -> bool:
        """Ids not found are skipped (Bot API docs), but one message that cannot be deleted
        for everyone refuses the whole batch: TDLib MessagesManager::delete_messages checks
        every message before deleting any."""
        chat_id = self._chat(params)
        ids = [int(message_id) for message_id in params["message_ids"]]
        if not 1 <= len(ids) <= 100:
            raise ApiError("Bad Request: too many messages to delete")
        found = [self.messages[chat_id][i] for i in ids if i in self.messages[chat_id]]
        if not all(self._deletable(message) for message in found):
            raise ApiError("Bad Request: message can't be deleted for everyone")
        for message in found:
            del self.messages[chat_id][message.message_id]
        return True

    async def api_getChat(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = self._chat(params)
        return {**self.chats[chat_id], "accent_color_id": 0, "max_reaction_count": 11}

    async def api_getChatMember(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = self._chat(params)
        if int(params["user_id"]) == BOT_USER["id"] and chat_id in self.bot_admin_in:
            rights = dict.fromkeys(
                ["can_be_edited", "is_anonymous", "can_manage_chat", "can_delete_messages",
                 "can_manage_video_chats", "can_restrict_members", "can_promote_members",
                 "can_change_info", "can_invite_users", "can_post_stories", "can_edit_stories",
                 "can_delete_stories", "can_manage_topics", "can_pin_messages"],
                True,
            )  # fmt: skip
            return {"status": "administrator", "user": BOT_USER, **rights}
        return {"status": "member", "user": BOT_USER}

    async def api_createForumTopic(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = self._chat(params)
        if not self.chats[chat_id].get("is_forum"):
            raise ApiError("Bad Request: the chat is not a forum")
        if chat_id not in self.bot_admin_in:
            # Bot API createForumTopic: "the bot must be an administrator in the chat for this
            # to work and must have the can_manage_topics administrator rights".
            raise ApiError("Bad Request: not enough rights to create a topic")
        thread_id = next(self._message_ids)
        self.topics.setdefault(chat_id, {})[thread_id] = str(params["name"])
        self.topic_creators[(chat_id, thread_id)] = int(BOT_USER["id"])
        return {"message_thread_id": thread_id, "name": params["name"], "icon_color": 7322096}

    async def api_copyMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = self._chat(params)
        from_chat = int(params["from_chat_id"])
        original = self.messages.get(from_chat, {}).get(int(params["message_id"]))
        if original is None:
            raise ApiError("Bad Request: message to copy not found")
        if original.media == "service":
            # Bot API copyMessage: "Service messages, paid media messages, giveaway messages,
            # giveaway winners messages, and invoice messages can't be copied."
            raise ApiError("Bad Request: message can't be copied")
        changed = any(params.get(k) for k in ("reply_parameters", "reply_markup", "caption"))
        if original.media is not None and len(original.text) > CAPTION_LIMIT and changed:
            # A premium user's caption may be longer than a bot's. TDLib copies such a message
            # on the server, as is, unless the copy changes its caption, buttons or reply
            # (MessageCopyOptions::is_supported_server_side); otherwise it sends it again as
            # the bot, and the server refuses the caption (MEDIA_CAPTION_TOO_LONG). See also
            # tdlib/telegram-bot-api#334.
            raise ApiError("Bad Request: message caption is too long")
        copy = ChatMessage(
            next(self._message_ids), chat_id, True, original.text, original.html, [],
            media=original.media, copied_from=(from_chat, original.message_id),
        )  # fmt: skip
        self._post(copy, params)
        return {"message_id": copy.message_id}

    def _thread(self, chat_id: int, params: dict[str, Any]) -> int | None:
        thread = params.get("message_thread_id")
        if thread is None:
            return None
        thread = int(thread)
        if thread not in self.topics.get(chat_id, {}):
            # A deleted (or never created) topic: telegram-bot-api Client.cpp
            # TdOnCheckForumTopicCallback asks TDLib for the topic and answers "message thread not
            # found" when it is gone, for every way of sending (copies included).
            raise ApiError("Bad Request: message thread not found")
        if thread in self.closed_topics.get(chat_id, set()) and not (
            chat_id in self.bot_admin_in
            or self.topic_creators.get((chat_id, thread)) == BOT_USER["id"]
        ):
            # TDLib ForumTopicManager::can_send_message_to_forum_topic: a closed topic takes
            # messages from its creator and from administrators who can manage topics only.
            raise ApiError("Bad Request: TOPIC_CLOSED")
        return thread

    def _may_manage_topic(self, chat_id: int, thread: int) -> None:
        """Bot API closeForumTopic/reopenForumTopic: "the bot must be an administrator in the
        chat for this to work and must have the can_manage_topics administrator rights,
        unless it is the creator of the topic"."""
        if chat_id not in self.bot_admin_in and (
            self.topic_creators.get((chat_id, thread)) != BOT_USER["id"]
        ):
            raise ApiError("Bad Request: CHAT_ADMIN_REQUIRED")

    async def api_closeForumTopic(self, params: dict[str, Any]) -> bool:
        chat_id = self._chat(params)
        self._may_manage_topic(chat_id, int(params["message_thread_id"]))
        self.closed_topics.setdefault(chat_id, set()).add(int(params["message_thread_id"]))
        return True

    async def api_reopenForumTopic(self, params: dict[str, Any]) -> bool:
        chat_id = self._chat(params)
        thread = int(params["message_thread_id"])
        self._may_manage_topic(chat_id, thread)
        if thread not in self.closed_topics.get(chat_id, set()):
            raise ApiError("Bad Request: TOPIC_NOT_MODIFIED")
        self.closed_topics[chat_id].discard(thread)
        return True

    async def api_deleteForumTopic(self, params: dict[str, Any]) -> bool:
        chat_id = self._chat(params)
        thread = int(params["message_thread_id"])
        if thread not in self.topics.get(chat_id, {}):
            raise ApiError("Bad Request: message thread not found")
        self._delete_topic(chat_id, thread)
        return True

    async def api_leaveChat(self, params: dict[str, Any]) -> bool:
        chat_id = int(params["chat_id"])
        if chat_id not in self.chats:
            raise ApiError("Bad Request: chat not found")
        self.left_chats.append(chat_id)
        return True
