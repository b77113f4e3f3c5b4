"""A fake signal-cli daemon (`signal-cli -a ACCOUNT daemon --tcp`), for tests.

It speaks what signal-cli documents (man signal-cli-jsonrpc(5)): newline-delimited JSON-RPC
2.0 on a TCP socket; incoming messages are `receive` notifications carrying an `envelope`;
`send`, `updateContact`, `getAttachment`, `remoteDelete` and `quitGroup` are answered like the
real daemon answers them, and recorded so tests can see what a Signal user would see.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import json
import re
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote_plus

# manager/util/DataURI.java DATA_URI_PATTERN and PARAMETER_PATTERN, case-insensitive, and
# without DOTALL as in Java ("." stops at a line end). PARAMETER_PATTERN is "\\G;(.+)=(.+)":
# greedy, so one match takes every parameter, the key running to the last "=" (a second
# parameter would swallow the file name); matched from where the last one ended, as \G does.
_DATA_URI = re.compile(
    r"\Adata:(?P<type>.+?/.+?)?(?P<parameters>;.+?=.+?)?(?P<base64>;base64)?,(?P<data>.+)\Z",
    re.IGNORECASE,
)
_PARAMETER = re.compile(r";(?P<key>.+)=(?P<value>.+)", re.IGNORECASE)
_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")
LONG_TEXT = "text/x-signal-plain"  # manager/util/MimeUtils.java
# jsonrpc/SignalJsonRpcCommandHandler.java
USER_ERROR, UNTRUSTED_KEY_ERROR, RATELIMIT_ERROR, INTERNAL_ERROR = -1, -4, -5, -32603
# Jackson's StreamReadConstraints.DEFAULT_MAX_STRING_LEN: signal-cli's ObjectMapper keeps the
# defaults (util/Util.java createJsonObjectMapper).
MAX_STRING_LENGTH = 20_000_000
# signal-cli reads a request line with a BufferedReader, whatever its length (jsonrpc/
# SocketHandler.java, util/IOUtils.java getLineSupplier): never refused for its length alone.
REQUEST_LINE_LIMIT = 256 * 1024 * 1024


class RpcError(Exception):
    """An error answer: code, message and data as signal-cli builds them."""

    def __init__(self, code: int, message: str, data: Any = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.data = data


def url_decode(value: str) -> str:
    """java.net.URLDecoder.decode: "+" is a space, and a "%" not followed by two hex digits
    is an IllegalArgumentException."""
    if _BAD_ESCAPE.search(value):
        raise ValueError("URLDecoder: Illegal hex characters in escape (%) pattern")
    return unquote_plus(value)


def longest_string(value: Any) -> int:
    if isinstance(value, str):
        return len(value)
    if isinstance(value, dict):
        value = [*value.values()]
    if isinstance(value, list):
        return max(map(longest_string, value), default=0)
    return 0


@dataclass
class SignalUser:
    uuid: str
    number: str
    name: str = "Ana"


@dataclass
class SentFile:
    content_type: str
    filename: str | None
    data: bytes


@dataclass
class SentMessage:
    """What the bot sent to one person: the text as shown, its styles, its files."""

    timestamp: int
    text: str
    styles: list[str] = field(default_factory=list)
    files: list[SentFile] = field(default_factory=list)


class FakeSignalCli:
    def __init__(self, account: str = "+32470000000", socket_path: str | None = None) -> None:
        self.account = account
        self.socket_path = socket_path  # `daemon --socket PATH` instead of `--tcp`
        self.port = 0
        self.sent: dict[str, list[SentMessage]] = {}
        self.requests: list[dict[str, Any]] = []
        self.expiration: dict[str, int] = {}
        self.deleted: list[tuple[str, int]] = []
        self.groups_left: list[str] = []
        self.attachments: dict[str, bytes] = {}
        # Error answers instead of results: method -> list of (code, message).
        self.failures: dict[str, list[tuple[int, str]]] = {}
        # How a send to one person fails (SendMessageResult types, json/JsonSendMessageResult
        # .java): uuid -> (type, retryAfterSeconds or None).
        self.send_failures: dict[str, tuple[str, int | None]] = {}
        # `daemon --receive-mode`: with on-connection (what README prescribes) Signal's server
        # keeps messages while no client is connected; with on-start signal-cli takes them
        # anyway and only prints them (commands/DaemonCommand.java addDefaultReceiveHandler).
        self.receive_mode = "on-connection"
        self.version = "0.14.6"
        self.max_string_length = MAX_STRING_LENGTH  # tests lower it rather than send 15 MB
        self.dropped_connections = 0  # connections signal-cli closed on a request it choked on
        self.on_server: list[dict[str, Any]] = []  # waiting on Signal's server
        self.printed: list[dict[str, Any]] = []  # taken by signal-cli with nobody to hand to
        self._server: asyncio.Server | None = None
        self._clients: list[asyncio.StreamWriter] = []
        self._clock = itertools.count(int(time.time() * 1000))
        self._changed = asyncio.Condition()

    # --- server --------------------------------------------------------------------------------
    @property
    def address(self) -> str:
        return self.socket_path or f"127.0.0.1:{self.port}"

    async def start(self) -> None:
        if self.socket_path is not None:
            self._server = await asyncio.start_unix_server(
                self._serve, self.socket_path, limit=REQUEST_LINE_LIMIT
            )
            return
        self._server = await asyncio.start_server(
            self._serve, "127.0.0.1", self.port, limit=REQUEST_LINE_LIMIT
        )
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        """The daemon goes away: every connection drops, nobody can connect."""
        if self._server is not None:
            self._server.close()
        for writer in self._clients:
            writer.close()
        self._clients.clear()
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None

    async def restart(self) -> None:
        await self.stop()
        await self.start()

    @property
    def connected(self) -> int:
        return len(self._clients)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._clients.append(writer)
        await self._notify()
        # A client connects: receiving starts, and what waited on Signal's server arrives.
        waiting, self.on_server = self.on_server, []
        for envelope in waiting:
            await self.deliver(envelope)
        try:
            while line := await reader.readline():
                try:
                    request = json.loads(line)
                except ValueError as exc:
                    # signal-cli jsonrpc/JsonRpcReader.java: a line that is not JSON is answered
                    # with a parse error (id null) and the connection stays open.
                    error = {"code": -32700, "message": str(exc), "data": None}
                    await self._write(writer, {"jsonrpc": "2.0", "error": error, "id": None})
                    continue
                if longest_string(request) > self.max_string_length:
                    # Jackson's StreamConstraintsException is not a JsonParseException:
                    # jsonrpc/JsonRpcReader.java rethrows it as an AssertionError, and
                    # jsonrpc/SocketHandler.java closes the connection, answering nothing.
                    self.dropped_connections += 1
                    break
                await self._answer(writer, request)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            if writer in self._clients:
                self._clients.remove(writer)
            writer.close()

    async def _answer(self, writer: asyncio.StreamWriter, request: dict[str, Any]) -> None:
        self.requests.append(request)
        method, params = request.get("method"), request.get("params") or {}
        response: dict[str, Any] = {"jsonrpc": "2.0"}
        planned = self.failures.get(str(method))
        handler = getattr(self, f"rpc_{method}", None)
        if planned:
            code, message = planned.pop(0)
            response["error"] = {"code": code, "message": message, "data": None}
        elif handler is None:
            response["error"] = {"code": -32601, "message": "Method not implemented"}
        else:
            try:
                response["result"] = handler(params)
            except RpcError as exc:
                response["error"] = {"code": exc.code, "message": exc.message, "data": exc.data}
            except LookupError as exc:
                # signal-cli jsonrpc/SignalJsonRpcCommandHandler.java: a UserErrorException
                # is answered with code -1 (USER_ERROR).
                response["error"] = {"code": -1, "message": str(exc), "data": None}
        # signal-cli jsonrpc/JsonRpcResponse.java: fields in the order jsonrpc, result, error,
        # id; a getAttachment answer ends with the id after the whole file.
        response["id"] = request.get("id")
        await self._write(writer, response)
        await self._notify()

    @staticmethod
    async def _write(writer: asyncio.StreamWriter, message: dict[str, Any]) -> None:
        # signal-cli jsonrpc/JsonRpcSender.java: one JSON document a line, whatever its length
        # (a getAttachment answer holds the whole file).
        writer.write(json.dumps(message).encode() + b"\n")
        await writer.drain()

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    # --- JSON-RPC methods ----------------------------------------------------------------------
    def rpc_send(self, params: dict[str, Any]) -> dict[str, Any]:
        recipients = params["recipient"]
        recipients = recipients if isinstance(recipients, list) else [recipients]
        message = params.get("message") or ""
        uris = params.get("attachments") or []
        if (
            not message
            and not uris
            and not params.get("sticker")
            and not params.get("quoteTimestamp")
        ):
            # commands/SendCommand.java: a UserErrorException, so code -1.
            raise RpcError(
                USER_ERROR,
                "Sending empty message is not allowed, either a message, attachment or sticker "
                "must be given.",
            )
        files = [self._attachment(uri) for uri in uris]
        timestamp = next(self._clock)
        results = []
        for uuid in recipients:
            failure, retry_after = self.send_failures.get(uuid, ("SUCCESS", None))
            result: dict[str, Any] = {
                "recipientAddress": {"uuid": uuid, "number": None, "username": None},
                "type": failure,
            }
            if retry_after is not None:
                result["retryAfterSeconds"] = retry_after
            results.append(result)
            if failure == "SUCCESS":
                self.sent.setdefault(uuid, []).append(
                    SentMessage(timestamp, message, params.get("textStyle", []), files)
                )
        response = {"timestamp": timestamp, "results": results}
        types = {result["type"] for result in results}
        if "SUCCESS" not in types:
            # util/SendMessageResultUtils.java outputResult: no recipient reached is an error,
            # with the results as its data (SignalJsonRpcCommandHandler getErrorDataNode).
            data = {"response": response}
            if types == {"IDENTITY_FAILURE"}:
                raise RpcError(
                    UNTRUSTED_KEY_ERROR, "Failed to send message due to untrusted identities", data
                )
            if types == {"RATE_LIMIT_FAILURE"}:
                raise RpcError(RATELIMIT_ERROR, "Failed to send message due to rate limiting", data)
            raise RpcError(USER_ERROR, "Failed to send message", data)
        return response

    @staticmethod
    def _attachment(uri: str) -> SentFile:
        """manager/util/DataURI.java, as Utils.createStreamDetails uses it: a value that does
        not parse is taken for a file path, which does not exist here, so the send fails with
        an AttachmentInvalidException (an unexpected error: code -32603)."""
        found = _DATA_URI.match(uri)
        try:
            if found is None:
                raise ValueError("The given string is not a valid data URI.")
            parameters, position, text = {}, 0, found["parameters"] or ""
            while parameter := _PARAMETER.match(text, position):
                parameters[parameter["key"]] = url_decode(parameter["value"])
                position = parameter.end()
        except ValueError as exc:
            # AttachmentInvalidException(attachment, e): "<attachment>: <cause>", the cause a
            # FileNotFoundException naming the path; SendCommand.java and
            # SignalJsonRpcCommandHandler.java each add the class name in brackets.
            raise RpcError(
                INTERNAL_ERROR,
                f"Failed to send message: {uri}: {uri} (No such file or directory) "
                "(AttachmentInvalidException) (UnexpectedErrorException)",
            ) from exc
        data = (
            base64.b64decode(found["data"])
            if found["base64"]
            else url_decode(found["data"]).encode()
        )
        return SentFile(found["type"] or "text/plain", parameters.get("filename"), data)

    def rpc_version(self, params: dict[str, Any]) -> dict[str, Any]:
        # commands/VersionCommand.java: {"version": "0.14.6"}.
        return {"version": self.version}

    def rpc_updateContact(self, params: dict[str, Any]) -> dict[str, Any]:
        self.expiration[params["recipient"]] = int(params.get("expiration", 0))
        return {}

    def rpc_getAttachment(self, params: dict[str, Any]) -> dict[str, Any]:
        # signal-cli commands/GetAttachmentCommand.java: the file base64-encoded in one
        # JsonAttachmentData {"data": ...}; a file it does not have is a UserErrorException.
        data = self.attachments.get(params.get("id", ""))
        if data is None:
            raise LookupError(f"Could not find attachment with ID: {params.get('id')}")
        return {"data": base64.b64encode(data).decode()}

    def rpc_remoteDelete(self, params: dict[str, Any]) -> dict[str, Any]:
        for uuid in params["recipient"]:
            self.deleted.append((uuid, int(params["targetTimestamp"])))
        return {"timestamp": next(self._clock), "results": []}

    def rpc_quitGroup(self, params: dict[str, Any]) -> dict[str, Any]:
        self.groups_left.append(params["groupId"])
        return {"timestamp": next(self._clock), "results": []}

    # --- what people do ------------------------------------------------------------------------
    def envelope(self, user: SignalUser, **parts: Any) -> dict[str, Any]:
        # signal-cli json/JsonMessageEnvelope.java; `parts` are its dataMessage, editMessage,
        # callMessage... (json/JsonDataMessage.java lists what a dataMessage may hold).
        timestamp = next(self._clock)
        return {
            "source": user.number,
            "sourceNumber": user.number,
            "sourceUuid": user.uuid,
            "sourceName": user.name,
            "sourceDevice": 1,
            "timestamp": timestamp,
            "serverReceivedTimestamp": timestamp + 3,
            "serverDeliveredTimestamp": timestamp + 5,
            **parts,
        }

    def message_envelope(
        self,
        user: SignalUser,
        text: str | None,
        files: list[tuple[str, str, bytes]] = (),  # type: ignore[assignment]
    ) -> dict[str, Any]:
        attachments = []
        # signal-cli json/JsonAttachment.java: the sender's file name and the size are
        # announced; the bytes are fetched with getAttachment.
        for content_type, filename, data in files:
            ident = f"att{len(self.attachments) + 1}.bin"
            self.attachments[ident] = data
            attachments.append(
                {"contentType": content_type, "filename": filename, "id": ident,
                 "size": len(data), "width": None, "height": None, "caption": None,
                 "uploadTimestamp": None}
            )  # fmt: skip
        if text is not None and len(text.encode()) > 2000:
            # Signal apps send a long text's whole body as an attachment; signal-cli puts it
            # back in the body and still lists the attachment (manager/api/MessageEnvelope.java).
            ident = f"att{len(self.attachments) + 1}.txt"
            self.attachments[ident] = text.encode()
            attachments.append(
                {"contentType": LONG_TEXT, "filename": None, "id": ident,
                 "size": len(text.encode()), "width": None, "height": None, "caption": None,
                 "uploadTimestamp": None}
            )  # fmt: skip
        envelope = self.envelope(user)
        envelope["dataMessage"] = {
            "timestamp": envelope["timestamp"],
            "message": text,
            "expiresInSeconds": 0,
            "viewOnce": False,
            "attachments": attachments,
        }
        return envelope

    def call_envelope(self, user: SignalUser, part: str) -> dict[str, Any]:
        """One step of a call, each its own envelope (json/JsonCallMessage.java): "offer",
        "iceUpdate", "answer", "busy" or "hangup"."""
        call_id = 8_123_456_789
        parts: dict[str, Any] = {
            "offer": {"offerMessage": {"id": call_id, "type": "AUDIO_CALL", "opaque": "b2ZmZXI="}},
            "iceUpdate": {"iceUpdateMessages": [{"id": call_id, "opaque": "aWNl"},
                                                {"id": call_id, "opaque": "aWNlMg=="}]},
            "answer": {"answerMessage": {"id": call_id, "opaque": "YW5zd2Vy"}},
            "busy": {"busyMessage": {"id": call_id}},
            "hangup": {"hangupMessage": {"id": call_id, "type": "NORMAL", "deviceId": 1}},
        }  # fmt: skip
        return self.envelope(user, callMessage=parts[part])

    async def deliver(self, envelope: dict[str, Any]) -> None:
        """Signal's server delivers a message: to the connected bot, or it waits there (or,
        with --receive-mode on-start and nobody connected, signal-cli takes it and prints
        it: lost to the bot)."""
        if not self._clients:
            (self.printed if self.receive_mode == "on-start" else self.on_server).append(envelope)
            return
        await self.push({"jsonrpc": "2.0", "method": "receive",
                         "params": {"envelope": envelope, "account": self.account}})  # fmt: skip

    async def push(self, message: dict[str, Any] | bytes) -> None:
        """A notification, or raw bytes: what signal-cli never writes, but anything holding
        its socket could (tests of lines too long, too deep or not JSON)."""
        line = message if isinstance(message, bytes) else json.dumps(message).encode() + b"\n"
        for writer in list(self._clients):
            writer.write(line)
            await writer.drain()

    # --- what tests wait for -------------------------------------------------------------------
    async def wait_for(self, predicate: Any, timeout: float = 10.0) -> None:
        """Until `predicate()` holds: checked on every request and every 20 ms (the bot's own
        counters change without a request)."""

        async def _wait() -> None:
            while not predicate():
                async with self._changed:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._changed.wait(), 0.02)

        await asyncio.wait_for(_wait(), timeout)

    def messages_to(self, user: SignalUser) -> list[SentMessage]:
        return self.sent.get(user.uuid, [])
