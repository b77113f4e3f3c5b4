"""Signal adapter: signal-cli's JSON-RPC daemon in, numbered plain-text replies out.

signal-cli runs as `signal_rpc.daemon_command()` says (`--tcp 127.0.0.1:7583` or `--socket
PATH`) and speaks newline-delimited JSON-RPC 2.0: incoming messages arrive as `receive`
notifications, replies go out with `send`; signal_rpc.py also reads its errors. People are
known by their Signal UUID only, pseudonymised and sealed like Telegram ids; the phone number
that signal-cli may show is never read.

When the daemon restarts or the socket drops, the adapter reconnects with back-off. Messages
for the team and from the team wait in the persistent outbox meanwhile (bot/relay.py), and
every incoming message is recorded by keyed hash before it is handled, so one delivered twice
after a reconnection is answered once.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import json
import logging
from datetime import timedelta
from typing import Any

from babel.dates import format_timedelta

from bot.channels.signal_input import ANSWER_ID_AT_END, Dropped, next_line, refused_kind
from bot.channels.signal_rpc import (
    MAX_REQUEST_STRING,
    USER_ERROR,
    AnswerTooLong,
    ConnectionLost,
    SignalError,
    data_uri,
    delivery_error,
    parse_address,
)
from bot.channels.text import numbered, split_text, styled, text_event
from bot.conversation import Attachment, Conversation, Event, Option, Person, Reply
from bot.handlers.talk import relay_edit
from bot.i18n import _, use_language
from bot.relay import Media, Relay, RetryLater, Undeliverable, neutral_file_name
from bot.store.tickets import Ticket

log = logging.getLogger(__name__)

CHANNEL = "signal"
# Signal shows about 2,000 characters before "Read more"; longer pages go in several messages.
MESSAGE_LIMIT = 2000
LONG_TEXT = "text/x-signal-plain"  # manager/util/MimeUtils.java LONG_TEXT
REQUEST_TIMEOUT_SECONDS = 60.0
MAX_RECONNECT_SECONDS = 30.0
# Envelope parts that need no answer: delivery and read receipts, typing indicators, what the
# bot's own linked devices sent, stories.
IGNORED_PARTS = ("receiptMessage", "typingMessage", "syncMessage", "storyMessage")


class SignalChannel:
    def __init__(
        self,
        conversation: Conversation,
        account: str,
        address: str,
        relay: Relay | None = None,
    ) -> None:
        self.conversation = conversation
        self.account = account
        self.address = parse_address(address)
        self.relay = relay
        self._writer: asyncio.StreamWriter | None = None
        self._connected = asyncio.Event()
        self._pending: dict[int, asyncio.Future[Any]] = {}
        self._ids = itertools.count(1)
        self._incoming: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._tasks: list[asyncio.Task[None]] = []
        self.connections = 0  # how many times the daemon was reached (for logs and tests)
        self.handled = 0  # envelopes handled, answered or ignored (for tests and benchmarks)
        self._reported: set[str] = set()  # what the operator was told once (signal_rpc.py)

    # --- lifecycle -----------------------------------------------------------------------------
    async def start(self) -> None:
        self.conversation.outbound.register_person_channel(CHANNEL, self._send_to_person)
        if self.relay is not None:
            self.relay.deliver_to_people_with(CHANNEL, self._relay_to_person)
            self.relay.fetch_media_with(CHANNEL, self._fetch_media)
        self._tasks = [
            asyncio.create_task(self._connect_forever()),
            asyncio.create_task(self._handle_forever()),
        ]
        log.info("signal_started")

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        self._drop_connection()

    async def wait_connected(self, timeout: float = 10.0) -> None:
        await asyncio.wait_for(self._connected.wait(), timeout)

    # --- connection ----------------------------------------------------------------------------
    async def _open(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        # getAttachment answers with the whole file base64-encoded on one line (signal-cli
        # GetAttachmentCommand.java): the longest line expected is the largest file passed on.
        largest = self.conversation.config.signal.max_attachment_mb * 1024 * 1024
        limit = largest * 4 // 3 + 1024 * 1024
        if isinstance(self.address, tuple):
            return await asyncio.open_connection(*self.address, limit=limit)
        return await asyncio.open_unix_connection(self.address, limit=limit)

    async def _connect_forever(self) -> None:
        failures = 0
        while True:
            try:
                reader, writer = await self._open()
            except OSError as exc:
                failures += 1
                delay = min(MAX_RECONNECT_SECONDS, 0.25 * 2**failures)
                log.warning("signal_unreachable error=%s retry_in=%.1f", type(exc).__name__, delay)
                await asyncio.sleep(delay)
                continue
            failures = 0
            self.connections += 1
            self._writer = writer
            self._connected.set()
            log.info("signal_connected")
            try:
                await self._read(reader)
            except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
                log.warning("signal_connection_failed error=%s", type(exc).__name__)
            finally:
                self._drop_connection()
            log.warning("signal_disconnected (reconnecting)")
            await asyncio.sleep(0.25)

    def _drop_connection(self) -> None:
        self._connected.clear()
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        for future in self._pending.values():
            if not future.done():
                future.set_exception(ConnectionLost())
        self._pending.clear()

    async def _read(self, reader: asyncio.StreamReader) -> None:
        """A line that is too long, too deeply nested or otherwise wrong costs that line only:
        never the connection, nor the lines after it. Logs say what was wrong, never what the
        line held."""
        while True:
            line = await next_line(reader)
            if line is None:
                return
            if isinstance(line, Dropped):
                log.warning("signal_line_too_long")
                self._fail_dropped_answer(line.tail)
                continue
            try:
                message = json.loads(line)
            except (ValueError, RecursionError):
                log.warning("signal_bad_json length=%d", len(line))
                continue
            if not isinstance(message, dict):
                log.warning("signal_bad_message type=%s", type(message).__name__)
                continue
            try:
                self._dispatch(message)
            except Exception as exc:  # a well-formed line with fields of unexpected types
                log.warning("signal_bad_message error=%s", type(exc).__name__)

    def _fail_dropped_answer(self, tail: bytes) -> None:
        found = ANSWER_ID_AT_END.search(tail)
        future = self._pending.pop(int(found[1]), None) if found else None
        if future is not None and not future.done():
            future.set_exception(AnswerTooLong())

    def _dispatch(self, message: dict[str, Any]) -> None:
        ident = message.get("id")
        if ident is not None and ("result" in message or "error" in message):
            future = self._pending.pop(ident, None) if isinstance(ident, int) else None
            if future is None or future.done():
                return
            error = message.get("error")
            if isinstance(error, dict):
                code = error.get("code")
                future.set_exception(
                    SignalError(
                        code if isinstance(code, int) else 0,
                        str(error.get("message")),
                        error.get("data"),
                    )
                )
            else:
                future.set_result(message.get("result"))
            return
        params = message.get("params")
        if message.get("method") == "receive" and isinstance(params, dict):
            # With --receive-mode=manual the envelope comes wrapped in a subscription result.
            inner = params.get("result") if isinstance(params.get("result"), dict) else params
            envelope = inner.get("envelope") if isinstance(inner, dict) else None
            if isinstance(envelope, dict):
                self._incoming.put_nowait(envelope)
                return
        log.info("signal_notification_ignored method=%s", str(message.get("method"))[:40])

    async def request(self, method: str, params: dict[str, Any]) -> Any:
        """One JSON-RPC call; raises ConnectionLost if the daemon is away for too long."""
        try:
            await asyncio.wait_for(self._connected.wait(), REQUEST_TIMEOUT_SECONDS)
        except TimeoutError as exc:
            raise ConnectionLost() from exc
        writer = self._writer
        if writer is None:
            raise ConnectionLost()
        ident = next(self._ids)
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending[ident] = future
        line = json.dumps(
            {"jsonrpc": "2.0", "id": ident, "method": method, "params": params},
            separators=(",", ":"),
        )
        try:
            writer.write(line.encode() + b"\n")
            await writer.drain()
            return await asyncio.wait_for(future, REQUEST_TIMEOUT_SECONDS)
        except OSError as exc:
            raise ConnectionLost() from exc
        finally:
            self._pending.pop(ident, None)

    # --- incoming ------------------------------------------------------------------------------
    async def _handle_forever(self) -> None:
        """People are served side by side; one person's messages in the order they came."""
        latest: dict[str, asyncio.Task[None]] = {}
        while True:
            envelope = await self._incoming.get()
            sender = str(envelope.get("sourceUuid") or "")
            task = asyncio.create_task(self._handle_after(latest.get(sender), envelope))
            latest[sender] = task

            def forget(done: asyncio.Task[None], key: str = sender) -> None:
                if latest.get(key) is done:
                    del latest[key]

            task.add_done_callback(forget)

    async def _handle_after(
        self, previous: asyncio.Task[None] | None, envelope: dict[str, Any]
    ) -> None:
        if previous is not None:
            await asyncio.wait([previous])
        try:
            await self._on_envelope(envelope)
        except Exception as exc:
            log.error(
                "signal_update_failed error=%s",
                type(exc).__name__,
                exc_info=(type(exc), exc, exc.__traceback__),
            )
            await self._apologise(envelope)
        finally:
            self.handled += 1

    @staticmethod
    def _person(envelope: dict[str, Any]) -> Person | None:
        uuid = envelope.get("sourceUuid")
        if not isinstance(uuid, str) or not uuid:
            return None
        return Person(CHANNEL, platform_id=uuid, address=uuid)

    async def _on_envelope(self, envelope: dict[str, Any]) -> None:
        person = self._person(envelope)
        if person is None:
            log.info("signal_envelope_ignored reason=no_uuid")
            return
        parts = [key for key in envelope if key.endswith("Message") and envelope[key]]
        data = envelope.get("dataMessage")
        if isinstance(envelope.get("editMessage"), dict):
            await self._on_edit(person, envelope["editMessage"])
            return
        call = envelope.get("callMessage")
        if isinstance(call, dict):
            # One line per call: a call is an offer, then ICE updates and a hang-up, each its
            # own envelope (json/JsonCallMessage.java); only the offer is answered.
            if call.get("offerMessage") and await self._first_sight(person, envelope):
                await self._decline_call(person)
            return
        if not isinstance(data, dict):
            kinds = ",".join(p for p in parts if p in IGNORED_PARTS) or "unknown"
            log.debug("signal_envelope_ignored kind=%s", kinds)
            return
        group = data.get("groupInfo") or data.get("groupV2")
        if isinstance(group, dict):
            await self._leave_group(group)
            return
        body = data.get("message")
        text = body if isinstance(body, str) else ""
        refused = refused_kind(data, text)
        if refused is not None:
            if await self._first_sight(person, envelope):
                replies = await self.conversation.handle(Event(person, refused=refused))
                await self._deliver(person, replies)
            return
        attachments, too_big = self._attachments(data)
        if not text.strip() and not attachments and not too_big:
            # A timer change, a reaction, a deletion, a profile update: nothing to answer.
            log.debug("signal_data_ignored")
            return
        if not await self._first_sight(person, envelope):
            log.info("signal_duplicate_ignored")
            return
        store = self.conversation.store
        is_new = await store.load_profile(self.conversation.user_key(person)) is None
        event = text_event(
            person,
            text,
            self.conversation.command_names,
            message_ref=str(envelope.get("timestamp") or data.get("timestamp")),
            attachments=attachments,
        )
        replies = await self.conversation.handle(event) if text.strip() or attachments else []
        if too_big:
            replies.append(await self._too_big(person))
        if is_new:
            await self._turn_on_disappearing(person.address)
        await self._deliver(person, replies)

    def _attachments(self, data: dict[str, Any]) -> tuple[tuple[Attachment, ...], int]:
        """The files to pass on, under neutral names, and how many were too big to fetch
        (signal-cli announces each one's size in the envelope: JsonAttachment.size)."""
        limit = self.conversation.config.signal.max_attachment_mb * 1024 * 1024
        kept: list[Attachment] = []
        too_big = 0
        items = data.get("attachments")
        for item in items if isinstance(items, list) else []:
            if not isinstance(item, dict) or not item.get("id"):
                continue
            if item.get("contentType") == LONG_TEXT:
                # A long message comes with its whole text as this attachment; signal-cli has
                # already put that text in the body (manager/api/MessageEnvelope.java).
                continue
            size = item.get("size")
            if not isinstance(size, int) or size > limit:
                too_big += 1  # an unknown size is not fetched blindly either
                continue
            content_type = str(item.get("contentType") or "application/octet-stream")
            kept.append(
                Attachment(CHANNEL, str(item["id"]), content_type, neutral_file_name(content_type))
            )
        return tuple(kept), too_big

    async def _too_big(self, person: Person) -> Reply:
        lang = await self.conversation.language_for(person)
        limit = self.conversation.config.signal.max_attachment_mb
        with use_language(self.conversation.catalogs, lang):
            text = _(
                "This file is too big to pass on (more than {size} MB). It was not sent to anyone."
            ).format(size=limit)
        return Reply(text)

    async def _first_sight(self, person: Person, envelope: dict[str, Any]) -> bool:
        store = self.conversation.store
        key = store.source_key(CHANNEL, "in", person.platform_id, str(envelope.get("timestamp")))
        user_key = self.conversation.user_key(person)
        return await store.first_sight(key, user_key, self.conversation.clock())

    async def _on_edit(self, person: Person, edit: dict[str, Any]) -> None:
        """An edited message follows to the team's copy, as on Telegram."""
        target = edit.get("targetSentTimestamp")
        data = edit.get("dataMessage")
        if target is None or not isinstance(data, dict):
            return
        body = data.get("message")
        if body is not None and not isinstance(body, str):
            return  # never the text of something else in the team's copy
        await relay_edit(self.conversation, person, str(target), body or "")

    async def _decline_call(self, person: Person) -> None:
        lang = await self.conversation.language_for(person)
        with use_language(self.conversation.catalogs, lang):
            text = _("I cannot answer calls. Write your question here, or send menu.")
        await self._send(person.address, text)

    async def _leave_group(self, group: dict[str, Any]) -> None:
        # A group would expose people's questions to its members: the bot only works one to one.
        group_id = group.get("groupId") or group.get("id")
        if not isinstance(group_id, str):
            return
        try:
            await self.request("quitGroup", {"groupId": group_id})
            log.info("left_signal_group")
        except (SignalError, ConnectionLost) as exc:
            log.warning("signal_quit_group_failed error=%s", type(exc).__name__)

    async def _turn_on_disappearing(self, uuid: str) -> None:
        hours = self.conversation.config.signal.disappearing_messages_hours
        if not hours:
            return
        try:
            await self.request("updateContact", {"recipient": uuid, "expiration": hours * 3600})
        except (SignalError, ConnectionLost) as exc:
            log.warning("signal_disappearing_failed error=%s", type(exc).__name__)

    async def _apologise(self, envelope: dict[str, Any]) -> None:
        person = self._person(envelope)
        if person is None:
            return
        with contextlib.suppress(Exception):
            lang = await self.conversation.language_for(person)
            with use_language(self.conversation.catalogs, lang):
                text = "⚠️ " + _("Sorry, something went wrong. Please try again.") + " /menu"
            await self._send(person.address, text)

    # --- outgoing ------------------------------------------------------------------------------
    async def _send(
        self, uuid: str, html_text: str, attachments: list[str] | None = None
    ) -> list[int]:
        """Sends one reply, in several messages if it is long; returns their timestamps."""
        # Cut between paragraphs of the HTML (bold never spans two), then style each piece.
        stamps: list[int] = []
        pieces = split_text(html_text, MESSAGE_LIMIT) or ([""] if attachments else [])
        for index, piece in enumerate(pieces):
            text, styles = styled(piece)
            if not text and not (attachments and index == 0):
                continue  # signal-cli refuses an empty message (commands/SendCommand.java)
            params: dict[str, Any] = {"recipient": [uuid], "message": text}
            if styles:
                params["textStyle"] = [f"{start}:{length}:{kind}" for start, length, kind in styles]
            if attachments and index == 0:
                params["attachments"] = attachments
            result = await self.request("send", params)
            self._check_sent(result)
            if isinstance(result, dict) and isinstance(result.get("timestamp"), int):
                stamps.append(result["timestamp"])
        return stamps

    @staticmethod
    def _check_sent(result: Any) -> None:
        """A send with several recipients reports each one's failure in its result rather
        than as an error (SendMessageResultUtils.java): read the same way."""
        if not isinstance(result, dict):
            return
        for item in result.get("results") or []:
            kind = str(item.get("type", "SUCCESS")) if isinstance(item, dict) else "SUCCESS"
            if kind != "SUCCESS":
                raise SignalError(USER_ERROR, "Failed to send message", {"response": result})

    async def _deliver(self, person: Person, replies: list[Reply]) -> None:
        # Sending and recording under the lock the quick exit takes: see bot/outbound.py.
        async with self.conversation.outbound.delivering(self.conversation.user_key(person)):
            await self._deliver_locked(person, replies)

    async def _deliver_locked(self, person: Person, replies: list[Reply]) -> None:
        sent: list[int] = []
        try:
            for reply in replies:
                if reply.clear_chat:
                    await self._clear_chat(person)
                    reply = await self._clear_explanation(person, reply)
                stamps = await self._send(person.address, numbered(reply))
                if reply.tracked:
                    sent += stamps
        except (SignalError, ConnectionLost) as exc:
            log.warning("signal_reply_failed error=%s", type(exc).__name__)
        if sent:
            await self.conversation.store.record_chat_messages(
                self.conversation.user_key(person), sent, self.conversation.clock()
            )

    async def _clear_chat(self, person: Person) -> None:
        """Signal lets the bot delete its own messages for both sides, not the person's."""
        store = self.conversation.store
        stamps = await store.take_chat_messages(
            self.conversation.user_key(person), self.conversation.clock()
        )
        for stamp in stamps:
            with contextlib.suppress(SignalError, ConnectionLost):
                await self.request(
                    "remoteDelete", {"recipient": [person.address], "targetTimestamp": stamp}
                )

    async def _clear_explanation(self, person: Person, reply: Reply) -> Reply:
        lang = await self.conversation.language_for(person)
        hours = self.conversation.config.signal.disappearing_messages_hours
        with use_language(self.conversation.catalogs, lang):
            lines = [
                _("I deleted my messages in this chat, as far as Signal allows."),
                _(
                    "Signal does not let me delete yours: press and hold this chat in your "
                    "list of chats and delete it."
                ),
            ]
            if hours:
                period = format_timedelta(timedelta(hours=hours), locale=lang, threshold=1.5)
                lines.append(
                    _("Messages in this chat also disappear by themselves after {period}.").format(
                        period=period
                    )
                )
        return Reply("\n\n".join(lines), reply.options, tracked=False)

    async def _send_to_person(self, address: str, replies: list[Reply]) -> list[int]:
        """Reminders and notices outside a conversation turn; raises so the caller retries.
        Returns the timestamps, which the quick exit deletes."""
        person = Person(CHANNEL, platform_id=address, address=address)
        stamps: list[int] = []
        for reply in replies:
            stamps += await self._send(address, numbered(reply))
        if replies:
            await self.conversation.remember_shown(self.conversation.user_key(person), replies[-1])
        return stamps

    async def _relay_to_person(self, ticket: Ticket, address: str, payload: dict[str, Any]) -> None:
        kind = payload.get("kind")
        try:
            if kind == "reply":
                rows = [
                    [Option(label, action) for label, action in row]
                    for row in payload.get("options", [])
                ]
                reply = Reply(str(payload.get("text", "")), rows)
                if not styled(numbered(reply))[0].strip():
                    raise Undeliverable("nothing Signal can carry")
                stamps = await self._send(address, numbered(reply))
            elif kind == "files":
                if self.relay is None:
                    raise RetryLater(30)
                files = [await self.relay.media(a) for a in payload.get("attachments") or []]
                reply = Reply(str(payload.get("text", "")))
                if not reply.text.strip() and not files:
                    raise Undeliverable("nothing Signal can carry")
                uris = [data_uri(m) for m in files]
                if any(len(uri) > MAX_REQUEST_STRING for uri in uris):
                    raise Undeliverable("file too big for signal-cli")  # see signal_rpc.py
                stamps = await self._send(address, reply.text, uris)
            else:
                raise Undeliverable(f"kind {kind!r} cannot reach Signal")
        except (SignalError, ConnectionLost, TimeoutError) as exc:
            raise delivery_error(exc, self._reported) from exc
        # Numbers typed from now on refer to this message's choices (none for a team reply,
        # so a "1" written to the team goes to the team).
        await self.conversation.remember_shown(ticket.user_key, reply)
        await self.conversation.store.record_chat_messages(
            ticket.user_key, stamps, self.conversation.clock()
        )

    async def _fetch_media(self, attachment: dict[str, Any]) -> Media:
        """A Signal user's attachment, read from signal-cli when it is relayed to the team."""
        try:
            result = await self.request("getAttachment", {"id": str(attachment["ref"])})
        except (SignalError, ConnectionLost, TimeoutError) as exc:
            if isinstance(exc, SignalError) and exc.code == -1:
                raise Undeliverable("attachment gone") from exc
            # AnswerTooLong: the file was larger than announced.
            raise delivery_error(exc, self._reported) from exc
        encoded = result.get("data") if isinstance(result, dict) else result
        if not isinstance(encoded, str):
            raise Undeliverable("attachment without data")
        try:
            data = base64.b64decode(encoded, validate=True)
        except ValueError as exc:
            raise Undeliverable("attachment data not base64") from exc
        if len(data) > self.conversation.config.signal.max_attachment_mb * 1024 * 1024:
            raise Undeliverable("attachment too big")  # its size was announced wrong
        content_type = str(attachment.get("content_type") or "application/octet-stream")
        # Never the name the file came with, even one queued before names were neutral.
        return Media(data, content_type, neutral_file_name(content_type))
